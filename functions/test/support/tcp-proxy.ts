import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A loopback TCP forwarder in front of the Firestore emulator: `down()` cuts every
 * connection and refuses new ones, `up()` serves again on the same port. It makes
 * "Firestore unavailable" real for one client without stopping the shared emulator.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = async () => {
    const current = server;
    server = null;
    if (!current) return;
    // Stop accepting first: close() waits for open connections, so one accepted
    // after the sockets were destroyed would keep it (and the test) waiting forever.
    const closed = new Promise<void>((r) => current.close(() => r()));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  await up();
  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    up,
    down,
  };
}
