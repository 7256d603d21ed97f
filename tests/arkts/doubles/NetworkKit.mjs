// Test double of @kit.NetworkKit's `http` over Node's http client: real requests to the local
// merchant server, with HarmonyOS's option names, timeouts and error codes (2300007 could not
// connect, 2300028 timeout). Plain http only: the tests' servers listen on 127.0.0.1.
import { request as httpRequest } from 'node:http';

const RequestMethod = Object.freeze({
  OPTIONS: 'OPTIONS', GET: 'GET', HEAD: 'HEAD', POST: 'POST', PUT: 'PUT', DELETE: 'DELETE', TRACE: 'TRACE', CONNECT: 'CONNECT',
});
const HttpDataType = Object.freeze({ STRING: 0, OBJECT: 1, ARRAY_BUFFER: 2 });
const DEFAULT_TIMEOUT_MS = 60000;

function businessError(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

function send(url, options = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== 'http:') {
      reject(businessError(2300001, `test double speaks plain http only, not ${target.protocol}`));
      return;
    }
    const headers = { ...(options.header ?? {}) };
    let body = options.extraData;
    if (body !== undefined && typeof body !== 'string') body = JSON.stringify(body);
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const req = httpRequest({
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: options.method ?? 'GET',
      headers,
      agent: false,
    });
    let settled = false;
    const timers = [];
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(value);
      }
    };
    const connectTimeout = options.connectTimeout ?? DEFAULT_TIMEOUT_MS;
    const readTimeout = options.readTimeout ?? DEFAULT_TIMEOUT_MS;
    timers.push(setTimeout(() => finish(businessError(2300028, 'Timeout was reached (connect)')), connectTimeout));
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        timers.forEach(clearTimeout);
        timers.push(setTimeout(() => finish(businessError(2300028, 'Timeout was reached (read)')), readTimeout));
      });
    });
    req.on('error', (err) => {
      const code = err.code === 'ECONNREFUSED' ? 2300007 : 2300056;
      finish(businessError(code, code === 2300007 ? "Couldn't connect to server" : `Failure when receiving data: ${err.message}`));
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => finish(businessError(2300056, err.message)));
      res.on('end', () =>
        finish(null, {
          result: Buffer.concat(chunks).toString('utf8'),
          resultType: HttpDataType.STRING,
          responseCode: res.statusCode,
          header: res.headers,
        }),
      );
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function createHttp() {
  return {
    request: (url, options) => send(url, options),
    destroy: () => {},
  };
}

export const http = { RequestMethod, HttpDataType, createHttp };
export default { http };
