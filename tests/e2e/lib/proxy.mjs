// A fault-injecting HTTP proxy between the app and the merchant server, for "the status endpoint
// failing": the network and the server's front (a load balancer, a gateway) can fail where the
// merchant server itself cannot be made to. Everything else is forwarded as it is.
import { createServer, request } from 'node:http';

/**
 * Starts a proxy to `target` (http://127.0.0.1:PORT). `plan.status` is a list of faults for the
 * next status calls (GET /paysign/orders/...), used up in order: 'http503', 'reset' (connection
 * closed without an answer), 'malformed' (200 with a body that is not the status JSON), 'down'
 * (503, for as long as `plan.statusDown` is true).
 */
export async function startFaultProxy(target) {
  const plan = { status: [], statusDown: false, statusCalls: 0, faultsServed: 0 };
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const isStatus = req.method === 'GET' && req.url.startsWith('/paysign/orders/');
    if (isStatus) {
      plan.statusCalls += 1;
      const fault = plan.statusDown ? 'http503' : plan.status.shift();
      if (fault) {
        plan.faultsServed += 1;
        if (fault === 'reset') {
          req.socket.destroy();
          return;
        }
        if (fault === 'malformed') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"payment": "PAI');
          return;
        }
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('fault proxy: service unavailable');
        return;
      }
    }
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    plan,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
