// Test double of @kit.TestKit: the ability delegator is the Node runner's fake one.
export { abilityDelegatorRegistry } from './AbilityKit.mjs';
