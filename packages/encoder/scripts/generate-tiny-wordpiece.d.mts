// Types of generate-tiny-wordpiece.mjs, for the unit tests.
export declare function tinyVocab(): string[];
export declare function tinyTokenizerJson(): Record<string, unknown>;
export declare function buildTinyWordpieceModel(): Uint8Array;
export declare function tinySpecJson(): Record<string, unknown>;
