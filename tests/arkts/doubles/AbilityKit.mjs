// Test double of @kit.AbilityKit: the members the sample app and the tests touch at run time.
export class UIAbility {}
export const abilityDelegatorRegistry = {
  getAbilityDelegator: () => globalThis.paysignTestDelegator,
};
export default { UIAbility, abilityDelegatorRegistry };
