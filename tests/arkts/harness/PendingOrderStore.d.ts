// Control of the @kit.ArkData preferences test double for the Node suites.
/** Makes the next `count` preferences puts fail (a full or broken disk). */
export declare function failNextPreferencesPuts(count: number): void;
