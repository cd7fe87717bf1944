// embed_test.mjs DIR: runs DIR/embed.js in a fake document, as a
// customer's page would load it, and checks the button and the iframe it
// makes (web_test.go's TestNodeRunsTheScripts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const source = readFileSync(`${process.argv[2]}/embed.js`, "utf8");

// fakeElement is what embed.js uses of a DOM element.
function fakeElement(tag) {
  return {
    tag, style: {}, attrs: {}, children: [], listeners: {},
    setAttribute(k, v) { this.attrs[k] = String(v); },
    getAttribute(k) { return this.attrs[k] ?? null; },
    appendChild(c) { this.children.push(c); return c; },
    addEventListener(type, f) { this.listeners[type] = f; },
    click() { this.listeners.click?.(); },
  };
}

// run loads embed.js with a <script> carrying attrs; it returns what was
// added to the body and what was warned.
function run(src, attrs) {
  const body = fakeElement("body");
  const warnings = [];
  const script = fakeElement("script");
  script.src = src;
  Object.assign(script.attrs, attrs);
  const document = {
    currentScript: script, body, baseURI: "https://shop.example/cart",
    createElement: fakeElement, addEventListener() {},
  };
  vm.runInNewContext(source, { document, URL, URLSearchParams, console: { warn: (m) => warnings.push(m) } });
  return { body, warnings };
}

const { body } = run("https://voice.example.com/embed.js", { "data-agent": "clinica-central", "data-token": "T+1/x=" });
assert.equal(body.children.length, 1, "one button, and no frame before a click");
const button = body.children[0];
assert.equal(button.tag, "button");
assert.equal(button.attrs["aria-expanded"], "false");
assert.equal(button.style.position, "fixed");

button.click();
assert.equal(body.children.length, 2);
const panel = body.children[1];
const frame = panel.children[0];
assert.equal(frame.tag, "iframe");
assert.equal(frame.src, "https://voice.example.com/?agent=clinica-central&embed=1&token=T%2B1%2Fx%3D");
assert.equal(frame.allow, "microphone; autoplay");
assert.equal(button.attrs["aria-expanded"], "true");

button.click(); // hides, the call goes on
assert.equal(panel.style.display, "none");
assert.equal(button.attrs["aria-expanded"], "false");
button.click(); // shows the same frame again
assert.equal(panel.style.display, "block");
assert.equal(body.children.length, 2);

// No token: none in the address. A relative src: the page's origin.
{
  const { body } = run("/embed.js", { "data-agent": "acme-helpdesk" });
  body.children[0].click();
  assert.equal(body.children[1].children[0].src, "https://shop.example/?agent=acme-helpdesk&embed=1");
}

// No agent: no button, and a warning.
{
  const { body, warnings } = run("https://voice.example.com/embed.js", {});
  assert.equal(body.children.length, 0);
  assert.match(warnings[0], /data-agent/);
}

console.log("ok embed.js");
