// The agent's live connection (/api/v1/realtime). It reconnects with a
// growing delay; after a reconnect the page reloads what it may have missed,
// because events sent while the socket was down are not replayed.

import { goToLogin } from "../common.js";

const CLOSE_NOT_AUTHENTICATED = 4401;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const PING_EVERY_MS = 25000;

export class RealtimeClient {
  /**
   * @param {(event: string, data: object) => void} onEvent
   * @param {(state: "connecting"|"live"|"offline", reconnected: boolean) => void} onState
   */
  constructor(onEvent, onState) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.delay = FIRST_DELAY_MS;
    this.everConnected = false;
    this.socket = null;
    this.pingTimer = null;
    this.retryTimer = null;
    window.addEventListener("online", () => this.reconnectNow());
  }

  start() {
    this.connect();
  }

  reconnectNow() {
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.retryTimer);
    this.delay = FIRST_DELAY_MS;
    this.connect();
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    this.onState("connecting", false);
    const socket = new WebSocket(`${scheme}://${window.location.host}/api/v1/realtime`);
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (frame.event === "ready") {
        const reconnected = this.everConnected;
        this.everConnected = true;
        this.delay = FIRST_DELAY_MS;
        this.onState("live", reconnected);
        return;
      }
      if (frame.event === "pong") return;
      this.onEvent(frame.event, frame.data || {});
    });
    socket.addEventListener("open", () => {
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send("ping");
      }, PING_EVERY_MS);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(this.pingTimer);
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === CLOSE_NOT_AUTHENTICATED) {
        goToLogin();
        return;
      }
      this.onState("offline", false);
      // Jitter spreads the reconnects of many consoles after a server restart.
      const wait = this.delay * (0.8 + Math.random() * 0.4);
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      this.retryTimer = setTimeout(() => this.connect(), wait);
    });
  }
}
