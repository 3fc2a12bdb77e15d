/* Dragoman chat widget loader, served as /widget.js. A website embeds it with
 *   <script src="https://support.example.com/widget.js" data-website-token="TOKEN" async></script>
 * It adds a launcher button and an iframe and nothing else: the chat itself
 * lives in the frame, where the host page's CSS and scripts cannot reach it.
 * Written in plain ES5 syntax because it runs on pages we do not control. */
(function () {
  "use strict";
  if (window.__dragomanWidget) return; // the snippet pasted twice
  var script = document.currentScript || document.querySelector("script[data-website-token]");
  var websiteToken = script && script.getAttribute("data-website-token");
  if (!websiteToken) {
    if (window.console) console.warn("Dragoman widget: the script tag needs a data-website-token attribute");
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  var PREFIX = "dragoman-widget";
  var labels = { title: "Chat", open: "Open chat", close: "Close chat", unread: "New messages: {count}" };
  var isOpen = false;
  var unread = 0;

  var CHAT_ICON =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 3c5 0 9 3.4 9 7.7 0 4.2-4 7.6-9 7.6-.9 0-1.8-.1-2.6-.3L5 20.5l1-3.6C4.2 15.5 3 13.2 3 10.7 3 6.4 7 3 12 3Z"/></svg>';
  var CLOSE_ICON =
    '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 9l6 6 6-6"/></svg>';

  // Every rule is scoped to our ids and resets what a host stylesheet could
  // have set on buttons and iframes.
  var css =
    "#" + PREFIX + "-launcher{all:initial;position:fixed;z-index:2147483000;right:20px;bottom:20px;width:60px;height:60px;" +
    "border-radius:50%;background:#3b5bdb;color:#fff;display:flex;align-items:center;justify-content:center;cursor:pointer;" +
    "box-shadow:0 6px 20px rgba(30,40,90,.28),0 2px 6px rgba(30,40,90,.18);transition:transform .15s ease,background .15s ease}" +
    "#" + PREFIX + "-launcher:hover{background:#2f49b8;transform:scale(1.05)}" +
    "#" + PREFIX + "-launcher:focus-visible{outline:3px solid #91a7ff;outline-offset:3px}" +
    "#" + PREFIX + "-launcher svg{display:block}" +
    "#" + PREFIX + "-badge{all:initial;position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 6px;box-sizing:border-box;" +
    "border-radius:10px;background:#e03131;color:#fff;border:2px solid #fff;font:700 11px/16px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "text-align:center}" +
    "#" + PREFIX + "-frame{all:initial;position:fixed;z-index:2147483001;right:20px;bottom:92px;width:370px;height:560px;" +
    "max-height:calc(100vh - 112px);border:0;border-radius:16px;background:#f5f6fa;overflow:hidden;" +
    "box-shadow:0 16px 48px rgba(20,24,40,.22),0 2px 8px rgba(20,24,40,.12);opacity:0;visibility:hidden;" +
    "transform:translateY(12px) scale(.98);transform-origin:bottom right;transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}" +
    "#" + PREFIX + "-frame." + PREFIX + "-open{opacity:1;visibility:visible;transform:none;transition:opacity .18s ease,transform .18s ease}" +
    "@media (max-width:480px){#" + PREFIX + "-frame{right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}" +
    "#" + PREFIX + "-launcher." + PREFIX + "-open{display:none}}" +
    "@media (prefers-reduced-motion:reduce){#" + PREFIX + "-frame,#" + PREFIX + "-launcher{transition:none}}";

  function setup() {
    // A constructed stylesheet is CSSOM, which a page's Content-Security-Policy
    // does not block; a <style> element would need 'unsafe-inline' there.
    if (window.CSSStyleSheet && "adoptedStyleSheets" in document && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    } else {
      var style = document.createElement("style");
      style.textContent = css;
      document.head.appendChild(style);
    }

    var frame = document.createElement("iframe");
    frame.id = PREFIX + "-frame";
    frame.src = origin + "/widget/" + encodeURIComponent(websiteToken);
    frame.title = labels.title;
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");

    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.id = PREFIX + "-launcher";
    launcher.setAttribute("data-testid", "widget-launcher");
    launcher.setAttribute("aria-controls", frame.id);
    launcher.setAttribute("aria-expanded", "false");

    var badge = document.createElement("span");
    badge.id = PREFIX + "-badge";
    badge.setAttribute("data-testid", "widget-unread");
    badge.setAttribute("aria-hidden", "true");

    function render() {
      launcher.innerHTML = isOpen ? CLOSE_ICON : CHAT_ICON;
      if (unread > 0 && !isOpen) {
        badge.textContent = unread > 99 ? "99+" : String(unread);
        launcher.appendChild(badge);
      }
      var label = isOpen ? labels.close : labels.open;
      if (unread > 0 && !isOpen) label += " (" + labels.unread.split("{count}").join(String(unread)) + ")";
      launcher.setAttribute("aria-label", label);
      launcher.setAttribute("aria-expanded", String(isOpen));
      launcher.className = isOpen ? PREFIX + "-open" : "";
      frame.className = isOpen ? PREFIX + "-open" : "";
      frame.title = labels.title;
      frame.setAttribute("aria-hidden", String(!isOpen));
      frame.setAttribute("tabindex", isOpen ? "0" : "-1");
    }

    function tellFrame(message) {
      message.source = "dragoman-loader";
      if (frame.contentWindow) frame.contentWindow.postMessage(message, origin);
    }

    function setOpen(open) {
      isOpen = open;
      if (open) unread = 0;
      render();
      tellFrame({ type: "visibility", open: open });
      if (open) frame.focus();
      else launcher.focus();
    }

    launcher.addEventListener("click", function () { setOpen(!isOpen); });

    window.addEventListener("message", function (event) {
      // Only our own frame may drive the launcher.
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.source !== "dragoman-widget") return;
      if (data.type === "labels" && data.labels) {
        labels = data.labels;
        render();
        tellFrame({ type: "visibility", open: isOpen }); // the frame may have (re)loaded
      } else if (data.type === "unread") {
        unread = isOpen ? 0 : Math.max(0, Number(data.count) || 0);
        render();
      } else if (data.type === "close" && isOpen) {
        setOpen(false);
      }
    });

    render();
    document.body.appendChild(frame);
    document.body.appendChild(launcher);
    window.__dragomanWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
  }

  window.__dragomanWidget = {};
  if (document.body) setup();
  else document.addEventListener("DOMContentLoaded", setup);
})();
