# ruff: noqa: E501 -- the script is kept as written, one statement a line
"""The script ``report.html`` runs to check itself, offline, with the browser's Web Crypto API.

It reads the page's embedded data (``<script type="application/json" id="evidence-data">``:
the checkpoint note, the public key, and per event its position, topic, leaf data in hex, leaf
hash and audit path) and checks, as docs/integrity.md says:

1. the key: its key ID is ``SHA-256(name || 0x0A || 0x01 || key)[:4]``; its fingerprint
   (SHA-256 of the 32-byte key) is the one the page shows;
2. the checkpoint: its origin is the key's name; its Ed25519 signature over the note text
   verifies (where the browser has Ed25519: Chromium 113+ behind no flag since 137, Firefox
   129+, Safari 17+; elsewhere the page says the signature was not checked here);
3. every event: its leaf data holds the position and topic the page shows (also the story's
   entry), ``SHA-256(0x00 || leaf)`` is its leaf hash, and the RFC 9162 audit path leads from
   it to the checkpoint's root.

The result goes into ``#check`` (``data-state``: ``verified``, ``partial`` — all but the
signature —, ``failed``), with one line per failure naming the event.
"""

from typing import Final

CHECK_SCRIPT: Final = r"""
(async function () {
  "use strict";
  var box = document.getElementById("check");
  var status = document.getElementById("check-status");
  var list = document.getElementById("check-failures");
  var shown = document.getElementById("check-fingerprint");
  var data = JSON.parse(document.getElementById("evidence-data").textContent);
  var words = data.words;
  var failures = [];
  var utf8 = new TextEncoder();
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function fail(text) { failures.push(text); }
  function failEvent(position, why) { fail(fill(words["check.event"], {position: position, why: why})); }
  function hexBytes(h) {
    if (typeof h !== "string" || h.length % 2 || /[^0-9a-f]/.test(h)) { throw new Error("not hex"); }
    var b = new Uint8Array(h.length / 2);
    for (var i = 0; i < b.length; i++) { b[i] = parseInt(h.substr(2 * i, 2), 16); }
    return b;
  }
  function hex(b) {
    return Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  }
  function b64(s) {
    var bin = atob(s), b = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { b[i] = bin.charCodeAt(i); }
    return b;
  }
  function concat(parts) {
    var n = 0, o = 0;
    parts.forEach(function (p) { n += p.length; });
    var out = new Uint8Array(n);
    parts.forEach(function (p) { out.set(p, o); o += p.length; });
    return out;
  }
  async function sha() {
    var parts = Array.prototype.slice.call(arguments);
    return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(parts)));
  }
  function same(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  function half(n) { return Math.floor(n / 2); }
  // RFC 9162 section 2.1.3.2, step by step.
  async function rootFromInclusion(leaf, index, size, path) {
    if (!(index < size)) { throw new Error("leaf index out of range"); }
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      if (sn === 0) { throw new Error("proof too long"); }
      if (fn % 2 === 1 || fn === sn) {
        r = await sha(new Uint8Array([1]), path[i], r);
        while (fn !== 0 && fn % 2 === 0) { fn = half(fn); sn = half(sn); }
      } else {
        r = await sha(new Uint8Array([1]), r, path[i]);
      }
      fn = half(fn); sn = half(sn);
    }
    if (sn !== 0) { throw new Error("proof too short"); }
    return r;
  }
  function finish(state, text) {
    box.setAttribute("data-state", state);
    status.textContent = text;
    failures.forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f;
      list.appendChild(li);
    });
  }
  try {
    if (!window.crypto || !crypto.subtle) { throw new Error("this browser has no Web Crypto"); }
    // The key.
    var vkey = String(data.vkey).trim();
    var plus1 = vkey.indexOf("+"), plus2 = vkey.indexOf("+", plus1 + 1);
    var keyName = vkey.slice(0, plus1), keyIdHex = vkey.slice(plus1 + 1, plus2);
    var typed = b64(vkey.slice(plus2 + 1));
    if (typed.length !== 33 || typed[0] !== 1) { throw new Error("the public key is not an Ed25519 key"); }
    var publicKey = typed.slice(1);
    var keyId = (await sha(utf8.encode(keyName), new Uint8Array([10, 1]), publicKey)).slice(0, 4);
    if (hex(keyId) !== keyIdHex) { fail("key: its key ID does not match the key"); }
    var fingerprint = hex(await sha(publicKey));
    if (shown.textContent.trim() !== fingerprint) { fail("key: the fingerprint shown is not this key's"); }
    shown.textContent = fingerprint;
    // The checkpoint.
    var note = String(data.checkpoint);
    var split = note.lastIndexOf("\n\n");
    var text = note.slice(0, split + 1);
    var lines = text.split("\n");
    if (lines[0] !== keyName) { fail("checkpoint: it is not of this key's log"); }
    var size = Number(lines[1]);
    var root = b64(lines[2]);
    var signatureChecked = false, signatureFound = false;
    var signatures = note.slice(split + 2).split("\n").filter(function (l) { return l; });
    for (var s = 0; s < signatures.length; s++) {
      var line = signatures[s];
      var blob = line.slice(line.lastIndexOf(" ") + 1);
      var signer = line.slice(2, line.lastIndexOf(" "));
      if (line.slice(0, 2) !== "\u2014 " || signer !== keyName) { continue; }
      var raw = b64(blob);
      if (!same(raw.slice(0, 4), keyId)) { continue; }
      signatureFound = true;
      var key = null;
      try {
        key = await crypto.subtle.importKey("raw", publicKey, {name: "Ed25519"}, false, ["verify"]);
      } catch (e) { key = null; }
      if (key) {
        var good = await crypto.subtle.verify({name: "Ed25519"}, key, raw.slice(4), utf8.encode(text));
        if (!good) { fail("checkpoint: its signature does not verify"); }
        signatureChecked = true;
      }
    }
    if (!signatureFound) { fail("checkpoint: no signature by this key"); }
    // Every event.
    var known = {};
    for (var k = 0; k < data.events.length; k++) {
      var ev = data.events[k];
      known[ev.position] = ev.topic;
      try {
        var leaf = hexBytes(ev.leaf);
        var view = new DataView(leaf.buffer);
        if (leaf.length < 41 || leaf[0] !== 1) { failEvent(ev.position, "malformed leaf data"); continue; }
        var position = Number(view.getBigUint64(1));
        var topicLength = view.getUint32(33);
        var topic = new TextDecoder().decode(leaf.slice(37, 37 + topicLength));
        if (position !== ev.position) { failEvent(ev.position, "its data is of another position"); }
        if (topic !== ev.topic) { failEvent(ev.position, "its data is another kind of event"); }
        var leafHash = await sha(new Uint8Array([0]), leaf);
        if (hex(leafHash) !== ev.leaf_hash) {
          failEvent(ev.position, "its content was changed (it does not hash to its leaf hash)");
          continue;
        }
        var path = ev.path.map(hexBytes);
        var computed = await rootFromInclusion(leafHash, ev.leaf_index, size, path);
        if (!same(computed, root)) { failEvent(ev.position, "it is not proved into the signed checkpoint"); }
      } catch (e) {
        failEvent(ev.position, String(e.message || e));
      }
    }
    document.querySelectorAll("li.entry").forEach(function (li) {
      var p = Number(li.getAttribute("data-position"));
      if (!(p in known)) { failEvent(p, "shown on the page but not among its events"); }
      else if (known[p] !== li.getAttribute("data-topic")) { failEvent(p, "the page shows another kind of event"); }
    });
    if (failures.length) { finish("failed", words["check.failed"]); }
    else if (signatureChecked) { finish("verified", fill(words["check.ok"], {n: data.events.length})); }
    else { finish("partial", fill(words["check.nosig"], {n: data.events.length})); }
  } catch (e) {
    fail(String(e.message || e));
    finish("failed", words["check.failed"]);
  }
})();
"""
