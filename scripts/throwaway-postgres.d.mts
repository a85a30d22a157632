export function freePort(): Promise<number>;
export function startThrowawayPostgres(): Promise<{ url: string; stop(): Promise<void> }>;
