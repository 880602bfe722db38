/** Where the functions run (index.ts) and where their task queues live (album checks). */
export const REGION = "us-central1";
