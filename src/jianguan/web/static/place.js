// "Use my location" (/place, and the verification page's note when the place is unknown): the
// browser is asked for the point only when the button is pressed, so its own prompt is the
// consent. The point goes to /place/locate once, which answers the county and remembers only its
// code (the jg_place cookie); it is not kept here or there. Messages come from the form's data-*
// attributes, written in the page's language.
document.querySelectorAll("form[data-locate]").forEach((form) => {
  const button = form.querySelector("button");
  const status = form.querySelector("[data-locate-status]");
  const english = document.documentElement.lang === "en";
  const say = (text, tone) => {
    status.textContent = text;
    status.dataset.tone = tone || "";
  };
  const send = async (position) => {
    const body = new URLSearchParams({
      lat: String(position.coords.latitude),
      lon: String(position.coords.longitude),
      csrf_token: form.elements.csrf_token.value,
    });
    try {
      const response = await fetch(form.action, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (response.ok) {
        say(form.dataset.done.replace("{place}", answer.path), "good");
        status.dataset.place = answer.region_code;
      } else {
        const error = answer.error || {};
        say(english ? error.message : error.message_zh, "bad");
      }
    } catch (_) {
      say(form.dataset.failed, "bad");
    }
    button.disabled = false;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!("geolocation" in navigator) || !window.isSecureContext) {
      say(form.dataset.unavailable, "bad");
      return;
    }
    button.disabled = true;
    say(form.dataset.asking, "");
    navigator.geolocation.getCurrentPosition(send, () => {
      say(form.dataset.unavailable, "bad");
      button.disabled = false;
    }, { enableHighAccuracy: false, timeout: 20000, maximumAge: 600000 });
  });
});
