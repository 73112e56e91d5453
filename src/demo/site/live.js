/* global document, location, WebSocket, TextEncoder, TextDecoder, fetch, setTimeout */
// Opens a WebSocket to /ws/echo and sends a few messages; the results land in the page (and in
// `window.hayateLive` for tests); then WebTransport, below.
const log = (id, line) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent += `${line}\n`;
};
const status = (id, text) => {
  const el = document.getElementById(id);
  if (el !== null) el.textContent = text;
};
const results = { ws: { status: 'pending', echoed: [] } };
globalThis.hayateLive = results;

const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/echo`);
ws.binaryType = 'arraybuffer';
const sent = ['hello', 'hayate', 'x'.repeat(70_000)];
ws.onopen = () => {
  status('ws-status', 'open');
  for (const m of sent) ws.send(m);
  ws.send(new TextEncoder().encode('binary'));
};
ws.onmessage = (e) => {
  const text = typeof e.data === 'string' ? e.data : `binary:${new TextDecoder().decode(e.data)}`;
  results.ws.echoed.push(text.length > 40 ? `${text.slice(0, 10)}…(${text.length})` : text);
  log('ws-log', `echo: ${results.ws.echoed.at(-1)}`);
  if (results.ws.echoed.length === sent.length + 1) {
    results.ws.status = 'done';
    status('ws-status', 'all echoed');
    ws.close(1000, 'bye');
  }
};
ws.onerror = () => {
  results.ws.status = 'error';
  status('ws-status', 'error');
};

// WebTransport over HTTP/3 to /wt/echo on this host and port (the demo serves h3 on the TLS port's number).
// With the demo's own certificate (one day, ECDSA P-256) the page pins it by hash (serverCertificateHashes).
results.wt = { status: 'pending' };
const hex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
const readAll = async (readable) => {
  const parts = [];
  for (const reader = readable.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(...value);
  }
  return new TextDecoder().decode(new Uint8Array(parts));
};
const webTransport = async () => {
  if (location.protocol !== 'https:' || typeof globalThis.WebTransport !== 'function') {
    results.wt.status = 'unavailable';
    status('wt-status', 'not available here (needs https and a browser with WebTransport)');
    return;
  }
  const info = await (await fetch('/api/webtransport', { cache: 'no-store' })).json();
  const options =
    info.certificateHash === null
      ? {}
      : { serverCertificateHashes: [{ algorithm: 'sha-256', value: hex(info.certificateHash) }] };
  const wt = new globalThis.WebTransport(`https://${location.host}${info.path}`, options);
  await wt.ready;
  status('wt-status', 'open');
  const bidi = await wt.createBidirectionalStream();
  const bw = bidi.writable.getWriter();
  await bw.write(new TextEncoder().encode('hello over a bidirectional stream'));
  await bw.close();
  results.wt.bidi = await readAll(bidi.readable);
  log('wt-log', `bidi echo: ${results.wt.bidi}`);
  const uni = await wt.createUnidirectionalStream();
  const uw = uni.getWriter();
  await uw.write(new TextEncoder().encode('hello over a unidirectional stream'));
  await uw.close();
  const incoming = await wt.incomingUnidirectionalStreams.getReader().read();
  results.wt.uni = await readAll(incoming.value);
  log('wt-log', `uni echo: ${results.wt.uni}`);
  // Datagrams are unreliable: send until one comes back (at most 20 tries).
  const dgw = wt.datagrams.writable.getWriter();
  const dgr = wt.datagrams.readable.getReader();
  for (let i = 0; i < 20 && results.wt.datagram === undefined; i++) {
    await dgw.write(new TextEncoder().encode(`datagram ${i}`));
    const got = await Promise.race([dgr.read(), new Promise((r) => setTimeout(() => r(null), 200))]);
    if (got !== null && !got.done) results.wt.datagram = new TextDecoder().decode(got.value);
  }
  log('wt-log', `datagram echo: ${results.wt.datagram}`);
  wt.close({ closeCode: 0, reason: 'done' });
  results.wt.closed = await wt.closed;
  results.wt.status = 'done';
  status('wt-status', 'all echoed');
};
webTransport().catch((err) => {
  results.wt.status = `error: ${err}`;
  status('wt-status', `error: ${err}`);
});
