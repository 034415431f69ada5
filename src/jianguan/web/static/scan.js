// The scan page (扫码): a keyboard-wedge barcode scanner "types" a code and Enter into the input;
// each code gets a result line and a sound (Web Audio: one high beep when it passes, two low beeps
// for a problem; no sound file to ship). Receiving: every code is checked as it is scanned
// (POST /api/v1/receipts/check), the staff may refuse an item, and "confirm" records the check
// (POST /api/v1/receipts). Selling: every code is recorded as sold at once (POST /api/v1/sales).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var app = $("scan-app");
  var en = app.dataset.lang === "en";
  var input = $("scan-input"), status = $("scan-status"), list = $("scan-lines");
  var entries = [], busy = false, audio = null;

  function say(zh, english) { return en ? english : zh; }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)jg_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = (data && data.error) || {};
          throw new Error(say(error.message_zh || "请求失败，请重试。", error.message || "The request failed; try again."));
        }
        return data;
      });
    });
  }

  // --- sound ------------------------------------------------------------------------------

  function tone(frequency, start, duration, type) {
    var oscillator = audio.createOscillator(), gain = audio.createGain();
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.3, start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + duration + 0.02);
  }

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      var now = audio.currentTime;
      if (ok) {
        tone(1320, now, 0.12, "sine");
      } else {
        tone(240, now, 0.18, "square");
        tone(240, now + 0.26, 0.18, "square");
      }
      app.dataset.lastBeep = ok ? "ok" : "bad";
    } catch (ignored) {
      app.dataset.lastBeep = "none";  // no audio device: the line and its colour still say it
    }
  }

  // --- lines ------------------------------------------------------------------------------

  function mode() { return document.querySelector("input[name=mode]:checked").value; }

  function grouped(code) { return (code || "").replace(/(\d{4})(?=\d)/g, "$1 "); }

  function show(text, ok) {
    status.textContent = text;
    status.className = "scan-status " + (ok ? "ok" : "bad");
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined) { made.textContent = text; }
    return made;
  }

  function describe(line) {
    var what = line.product ? line.product + (line.enterprise ? " · " + line.enterprise : "") : say("未知产品", "unknown product");
    if (line.is_container) { what += " · " + say("整箱 " + line.contents + " 件", "case of " + line.contents); }
    if (line.lot) { what += " · " + say("批号 ", "lot ") + line.lot; }
    return what;
  }

  function addLine(line, resultText, ok, entry) {
    var item = element("li", "scan-line " + (ok ? "ok" : "bad"));
    item.dataset.code = line.code || "";
    item.dataset.result = line.result || "";
    item.appendChild(element("span", "code", grouped(line.code)));
    item.appendChild(element("span", "result badge " + (ok ? "good" : "bad"), resultText));
    item.appendChild(element("span", "what", describe(line)));
    if (entry && ok) {
      var act = element("span", "act"), button = element("button", "refuse", say("拒收", "Refuse"));
      button.type = "button";
      button.addEventListener("click", function () {
        entry.refused = !entry.refused;
        item.classList.toggle("refused", entry.refused);
        button.textContent = entry.refused ? say("改为接收", "Accept") : say("拒收", "Refuse");
        tally();
        input.focus();
      });
      act.appendChild(button);
      item.appendChild(act);
    }
    list.insertBefore(item, list.firstChild);
    return item;
  }

  function label(line) { return say(line.result_zh, line.result_en); }

  function tally() {
    var ok = entries.filter(function (e) { return e.line.ok; }).length;
    $("count-all").textContent = entries.length;
    $("count-ok").textContent = ok;
    $("count-bad").textContent = entries.length - ok;
    $("count-refused").textContent = entries.filter(function (e) { return e.refused; }).length;
    $("confirm-receipt").disabled = entries.length === 0;
  }

  function known(code) {
    return entries.some(function (e) { return e.codes.indexOf(code) >= 0; });
  }

  function receive(raw) {
    return post("/api/v1/receipts/check", { codes: [raw] }).then(function (data) {
      var top = data.lines[0];
      if (known(top.code)) {
        show(say("重复扫描：", "Scanned already: ") + grouped(top.code), false);
        beep(false);
        return;
      }
      var problem = data.lines.slice(1).filter(function (l) { return !l.ok; })[0];
      var text = label(top) + (problem ? say("（箱内 ", " (in the case: ") + grouped(problem.code) + " " + label(problem) + say("）", ")") : "");
      var entry = { raw: raw, line: top, refused: false, codes: data.lines.map(function (l) { return l.code; }) };
      entries.push(entry);
      addLine(top, text, top.ok, entry);
      show(grouped(top.code) + " · " + text, top.ok);
      beep(top.ok);
      $("receipt-done").hidden = true;
      tally();
    });
  }

  function sell(raw) {
    return post("/api/v1/sales", { code: raw }).then(function (data) {
      var line = data.line, text = data.recorded ? say("已登记销售", "sale recorded") : label(line);
      addLine(line, text, data.recorded, null);
      show(grouped(line.code) + " · " + text, data.recorded);
      beep(data.recorded);
    });
  }

  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var raw = input.value.trim();
    input.value = "";
    input.focus();
    if (!raw || busy) { return; }
    busy = true;
    (mode() === "sell" ? sell(raw) : receive(raw)).catch(function (error) {
      show(error.message, false);
      beep(false);
    }).then(function () { busy = false; });
  });

  $("confirm-receipt").addEventListener("click", function () {
    if (!entries.length || busy) { return; }
    busy = true;
    var body = {
      codes: entries.map(function (e) { return e.line.code; }),
      refused: entries.filter(function (e) { return e.refused; }).map(function (e) { return e.line.code; }),
      note: $("receipt-note").value
    };
    post("/api/v1/receipts", body).then(function (receipt) {
      var done = $("receipt-done");
      done.textContent = "";
      done.appendChild(document.createTextNode(say("验收已记录：接收 " + receipt.accepted + " 件，拒收 " + receipt.refused + " 件。",
        "Check recorded: " + receipt.accepted + " accepted, " + receipt.refused + " refused. ")));
      var link = element("a", "", say("查看记录 #", "View record #") + receipt.id);
      link.href = "/receipts/" + receipt.id;
      done.appendChild(link);
      done.hidden = false;
      entries = [];
      list.textContent = "";
      $("receipt-note").value = "";
      show("", true);
      beep(true);
      tally();
    }).catch(function (error) {
      show(error.message, false);
      beep(false);
    }).then(function () { busy = false; input.focus(); });
  });

  $("clear-scans").addEventListener("click", function () {
    entries = [];
    list.textContent = "";
    show("", true);
    tally();
    input.focus();
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[name=mode]"), function (radio) {
    radio.addEventListener("change", function () {
      $("receive-panel").hidden = mode() !== "receive";
      list.textContent = "";
      entries = [];
      tally();
      show("", true);
      input.focus();
    });
  });
  tally();
})();
