/** Every line written through the hilog test double since the last clearHilog(). */
export declare function hilogLines(): string[];
export declare function clearHilog(): void;
