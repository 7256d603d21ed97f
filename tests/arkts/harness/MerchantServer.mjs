// A real HTTP merchant server on 127.0.0.1 (ephemeral port) whose answers the tests script:
// POST (any path) answers the ticket call, GET (any path) the status call. It records what it
// was asked so tests can check paths, headers and bodies.
import { createServer } from 'node:http';

class ScriptedMerchantServer {
  constructor(server, port) {
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.ticketAnswer = { status: 500, body: '{"error":"no ticket scripted"}' };
    this.statusAnswers = [{ status: 500, body: '{"error":"no status scripted"}' }];
    this.requests = [];
  }

  answerTicket(answer) {
    this.ticketAnswer = answer;
  }

  answerStatus(answers) {
    if (answers.length === 0) throw new Error('answerStatus needs at least one answer');
    this.statusAnswers = answers.slice();
  }

  ticketRequestCount() {
    return this.requests.filter((r) => r.method === 'POST').length;
  }

  statusRequestCount() {
    return this.requests.filter((r) => r.method === 'GET').length;
  }

  requestCount() {
    return this.requests.length;
  }

  requestMethod(index) {
    return this.requests[index]?.method ?? '';
  }

  requestPath(index) {
    return this.requests[index]?.path ?? '';
  }

  requestBody(index) {
    return this.requests[index]?.body ?? '';
  }

  requestHeader(index, name) {
    const value = this.requests[index]?.headers[name.toLowerCase()];
    return value === undefined ? '' : String(value);
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      let answer;
      if (req.method === 'POST') {
        answer = this.ticketAnswer;
      } else {
        // Served in order; the last answer repeats.
        answer = this.statusAnswers.length > 1 ? this.statusAnswers.shift() : this.statusAnswers[0];
      }
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(answer.body);
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
      else reply();
    });
  }

  close() {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

export function startMerchantServer() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const merchant = new ScriptedMerchantServer(server, server.address().port);
      server.on('request', (req, res) => merchant.handle(req, res));
      resolve(merchant);
    });
  });
}

/** The base URL of a 127.0.0.1 port that was just free: nothing listens there. */
export function unreachableBaseUrl() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}
