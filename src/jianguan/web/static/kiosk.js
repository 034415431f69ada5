// The in-store query terminal (查询终端). The key is typed once and kept in localStorage; a
// keyboard-wedge scanner "types" the code and Enter into the one input, the verdict fills the
// screen, and after a few seconds the terminal is ready for the next product. Alarm verdicts
// turn the screen red and beep (Web Audio: no sound file to ship).
(function () {
  "use strict";
  var STORE = "jianguan.terminal.key";
  var body = document.body;
  var RESET_MS = 1000 * Number(body.dataset.resetSeconds || 8);
  var HEARTBEAT_MS = 1000 * Number(body.dataset.heartbeatSeconds || 60);
  var VERSION = body.dataset.version || "kiosk-web";
  var $ = function (id) { return document.getElementById(id); };
  var screens = { setup: $("setup"), scan: $("scan"), result: $("result") };
  var codeInput = $("code-input");
  var resetTimer = null, countdownTimer = null, heartbeatTimer = null, busy = false, audio = null;

  function key() { return window.localStorage.getItem(STORE); }

  function show(name) {
    Object.keys(screens).forEach(function (other) { screens[other].hidden = other !== name; });
    body.classList.remove("state-setup", "state-scan", "state-result");
    body.classList.add("state-" + name);
  }

  function both(zh, en) {
    var fragment = document.createDocumentFragment();
    fragment.appendChild(document.createTextNode(zh));
    var small = document.createElement("small");
    small.textContent = en;
    fragment.appendChild(small);
    return fragment;
  }

  function setBoth(element, zh, en) {
    element.querySelector(".zh").textContent = zh || "";
    element.querySelector(".en").textContent = en || "";
  }

  // --- set-up ---------------------------------------------------------------------------

  function setup(messageZh, messageEn) {
    stopHeartbeat();
    clearResult();
    show("setup");
    var error = $("setup-error");
    error.hidden = !messageZh;
    error.textContent = "";
    if (messageZh) { error.appendChild(both(messageZh, messageEn)); }
    $("key-input").value = "";
    $("key-input").focus();
  }

  $("setup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var candidate = $("key-input").value.trim();
    if (!candidate) { return; }
    sendHeartbeat(candidate).then(function (ok) {
      if (ok) {
        window.localStorage.setItem(STORE, candidate);
        ready();
        startHeartbeat();
      }
    });
  });

  $("reset-key").addEventListener("click", function () {
    if (window.confirm("确定要更换终端密钥吗？\nChange the terminal key?")) {
      window.localStorage.removeItem(STORE);
      setup();
    }
  });

  // --- heartbeat ------------------------------------------------------------------------

  function linkState(state) { $("link-state").dataset.state = state; }

  function refused(response) {
    return response.json().catch(function () { return {}; }).then(function (payload) {
      var error = (payload && payload.error) || {};
      if (response.status === 401) {
        window.localStorage.removeItem(STORE);
        setup("密钥无效，或终端已停用。请输入新的终端密钥。", "The key is not valid, or the terminal was retired. Enter a new terminal key.");
      } else {
        window.localStorage.removeItem(STORE);
        setup(error.message_zh || "此密钥不能用于查询终端。", error.message || "This key cannot be used on a query terminal.");
      }
      return false;
    });
  }

  function sendHeartbeat(withKey) {
    return fetch("/api/v1/terminal/heartbeat", {
      method: "POST",
      headers: { "Authorization": "Bearer " + withKey, "Content-Type": "application/json" },
      body: JSON.stringify({ version: VERSION }),
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { return refused(response); }
      if (!response.ok) { linkState("offline"); return true; }
      linkState("online");
      return response.json().then(function (terminal) {
        var where = $("where");
        where.textContent = "";
        where.appendChild(both(terminal.merchant_name || "", (terminal.name || "") + " · " + (terminal.region_name || terminal.region_code || "")));
        return true;
      });
    }).catch(function () {
      linkState("offline");
      if (withKey === key()) { return true; }  // a running terminal keeps working and retries
      setup("网络故障，无法验证密钥，请检查网络后重试。", "Network failure: the key could not be checked. Check the network and try again.");
      return false;
    });
  }

  function startHeartbeat() {
    stopHeartbeat();
    heartbeatTimer = window.setInterval(function () { if (key()) { sendHeartbeat(key()); } }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    if (heartbeatTimer) { window.clearInterval(heartbeatTimer); heartbeatTimer = null; }
  }

  // --- scanning -------------------------------------------------------------------------

  function ready() {
    clearResult();
    show("scan");
    codeInput.value = "";
    codeInput.focus();
  }

  function clearResult() {
    if (resetTimer) { window.clearTimeout(resetTimer); resetTimer = null; }
    if (countdownTimer) { window.clearInterval(countdownTimer); countdownTimer = null; }
    body.classList.remove("tone-good", "tone-caution", "tone-bad", "alarm");
    delete body.dataset.verdict;
    stopAlarm();
  }

  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var raw = codeInput.value.trim();
    if (!raw || busy) { return; }
    busy = true;
    fetch("/api/v1/terminal/verify/" + encodeURIComponent(raw), {
      headers: { "Authorization": "Bearer " + key(), "Accept": "application/json" },
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { return refused(response); }
      return response.json().then(function (payload) {
        if (response.ok) { showVerdict(payload); return; }
        var error = payload.error || {};
        showMessage("caution", error.message_zh || "暂时无法查询，请稍后再试。",
                    error.message || "The check failed; try again shortly.");
      });
    }).catch(function () {
      linkState("offline");
      showMessage("caution", "网络故障，暂时无法查询", "Network failure: the code could not be checked");
    }).then(function () { busy = false; });
  });

  function fact(list, zh, en, value) {
    if (!value) { return; }
    var dt = document.createElement("dt");
    dt.appendChild(both(zh, en));
    var dd = document.createElement("dd");
    dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function showVerdict(answer) {
    clearResult();
    body.classList.add("tone-" + answer.tone);
    body.dataset.verdict = answer.verdict;
    if (answer.alarm) { body.classList.add("alarm"); startAlarm(); }
    $("verdict-label").textContent = answer.verdict_label.zh + " · " + answer.verdict_label.en;
    setBoth($("headline"), answer.headline.zh, answer.headline.en);
    setBoth($("advice"), answer.advice.zh, answer.advice.en);
    var list = $("facts");
    list.textContent = "";
    var product = answer.product || {}, enterprise = answer.enterprise || {}, production = answer.production || {};
    fact(list, "产品", "Product", [product.name, product.specification].filter(Boolean).join(" "));
    fact(list, "生产企业", "Manufacturer", enterprise.name);
    fact(list, "批号", "Lot", production.lot);
    fact(list, "生产日期", "Produced", production.production_date);
    fact(list, "有效期至", "Use by", production.expiry_date);
    fact(list, "监管码", "Code", answer.grouped);
    if (answer.message) { fact(list, "企业信息", "From the maker", answer.message); }
    show("result");
    countdown();
  }

  function showMessage(tone, zh, en) {
    clearResult();
    body.classList.add("tone-" + tone);
    $("verdict-label").textContent = "";
    setBoth($("headline"), zh, en);
    setBoth($("advice"), "", "");
    $("facts").textContent = "";
    show("result");
    countdown();
  }

  function countdown() {
    var left = Math.round(RESET_MS / 1000);
    var label = $("countdown");
    var paint = function () { label.textContent = left + " 秒后可继续查询 · ready again in " + left + " s"; };
    paint();
    countdownTimer = window.setInterval(function () { left = Math.max(0, left - 1); paint(); }, 1000);
    resetTimer = window.setTimeout(ready, RESET_MS);
  }

  // The next scan may start while a verdict is still showing: go back to the input at once, so the
  // scanner's keystrokes land in it.
  document.addEventListener("keydown", function (event) {
    unlockAudio();
    if (body.classList.contains("state-result") && event.key && event.key.length === 1 && !event.ctrlKey && !event.metaKey) {
      ready();
    }
  }, true);
  document.addEventListener("pointerdown", unlockAudio, true);

  // A kiosk has no other field: whatever was touched, the input gets the focus back.
  document.addEventListener("click", function (event) {
    if (body.classList.contains("state-scan") && event.target !== codeInput && !event.target.closest("button")) {
      codeInput.focus();
    }
  });
  codeInput.addEventListener("blur", function () {
    window.setTimeout(function () { if (body.classList.contains("state-scan")) { codeInput.focus(); } }, 200);
  });

  // --- the alarm ------------------------------------------------------------------------

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = { context: new Context(), nodes: [] }; }
    if (audio && audio.context.state === "suspended") { audio.context.resume(); }
  }

  // Eight short two-tone beeps over about three seconds.
  function startAlarm() {
    unlockAudio();
    if (!audio) { return; }
    var context = audio.context, start = context.currentTime + 0.02;
    for (var i = 0; i < 8; i += 1) {
      var oscillator = context.createOscillator(), gain = context.createGain(), at = start + i * 0.38;
      oscillator.type = "square";
      oscillator.frequency.value = i % 2 ? 740 : 988;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.26);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.3);
      audio.nodes.push(oscillator);
    }
    body.dataset.alarmSounding = "true";
  }

  function stopAlarm() {
    if (!audio) { return; }
    audio.nodes.forEach(function (node) { try { node.stop(); } catch (ignored) { /* already stopped */ } });
    audio.nodes = [];
    delete body.dataset.alarmSounding;
  }

  // --- start ----------------------------------------------------------------------------

  if (key()) {
    ready();
    sendHeartbeat(key());
    startHeartbeat();
  } else {
    setup();
  }
})();
