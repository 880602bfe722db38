import { emulatorClient } from "./firestore.js";

// Skills are warmed into each function instance's L1 at cold start, so they must
// exist before the first request of the run.
export default async function setup(): Promise<void> {
  const db = emulatorClient();
  await Promise.all([
    db.collection("skills").doc("assistant").set({
      name: "Assistant",
      description: "General help",
      systemPrompt: "You are a helpful assistant.",
    }),
    db
      .collection("skills")
      .doc("pirate")
      .set({
        name: "Pirate",
        description: "Talks like a pirate",
        systemPrompt: "You are a pirate. Answer like one.",
        model: "claude-haiku-4-5",
        tools: ["calculator"],
      }),
  ]);
  await db.terminate();
}
