// embed.js: a call button for a customer's own site.
//
//   <script src="https://HOST/embed.js" data-agent="NAME" data-token="TOKEN" async></script>
//
// puts a floating button in the page's corner; the first click opens a
// panel holding an iframe of https://HOST/?agent=NAME&embed=1&token=TOKEN
// (the voiceagent page in embed mode, which sends the token with its
// offer); further clicks hide and show it, and the call goes on while it
// is hidden. The iframe keeps the page's styles and scripts apart from the
// customer's, and is allowed the microphone and autoplay.
//
// Attributes: data-agent (required), data-token (a short-lived token the
// customer's backend mints with POST /v1/web/tokens), data-label (the
// button's label, "Call us" by default).
//
// A classic script, not a module, so that the one line above is all a
// customer writes; everything is inside one function and nothing is left
// on window.
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var agent = script.getAttribute("data-agent") || "";
  var token = script.getAttribute("data-token") || "";
  var label = script.getAttribute("data-label") || "Call us";
  if (!agent) {
    console.warn("voiceagent embed.js: data-agent is missing; no call button added.");
    return;
  }

  // frameURL is the page's address on the server embed.js came from.
  function frameURL(scriptSrc, agent, token) {
    var origin = new URL(scriptSrc, document.baseURI).origin;
    var q = new URLSearchParams();
    q.set("agent", agent);
    q.set("embed", "1");
    if (token) q.set("token", token);
    return origin + "/?" + q.toString();
  }

  function styled(tag, css) {
    var e = document.createElement(tag);
    for (var k in css) e.style[k] = css[k];
    return e;
  }

  var button = styled("button", {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483647",
    width: "56px", height: "56px", borderRadius: "50%", border: "none",
    background: "#1a7f37", color: "#fff", fontSize: "26px", lineHeight: "56px",
    padding: "0", cursor: "pointer", boxShadow: "0 4px 14px rgba(0,0,0,.3)",
  });
  button.type = "button";
  button.textContent = "\u260E"; // ☎
  button.title = label;
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-voiceagent", "button");

  var panel = null;

  function open() {
    if (!panel) {
      panel = styled("div", {
        position: "fixed", right: "20px", bottom: "88px", zIndex: "2147483647",
        width: "min(380px, calc(100vw - 40px))", height: "min(620px, calc(100vh - 108px))",
        borderRadius: "12px", overflow: "hidden", background: "#fff",
        boxShadow: "0 8px 30px rgba(0,0,0,.35)",
      });
      panel.setAttribute("data-voiceagent", "panel");
      var frame = styled("iframe", { width: "100%", height: "100%", border: "0", display: "block" });
      frame.src = frameURL(script.src, agent, token);
      frame.title = label;
      frame.allow = "microphone; autoplay";
      panel.appendChild(frame);
      document.body.appendChild(panel);
    } else {
      panel.style.display = "block";
    }
    button.textContent = "\u00D7"; // ×
    button.setAttribute("aria-expanded", "true");
  }

  function hide() {
    panel.style.display = "none";
    button.textContent = "\u260E";
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", function () {
    if (panel && panel.style.display !== "none") hide();
    else open();
  });

  function add() {
    document.body.appendChild(button);
  }
  if (document.body) add();
  else document.addEventListener("DOMContentLoaded", add);
})();
