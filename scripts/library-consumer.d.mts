export declare const CONSUMER_TS: string;
export declare const consumerTsconfig: (extra?: Record<string, unknown>) => string;
