// Refreshes the status page: fetches it again every 2 seconds (or every
// ?refresh= milliseconds, 200 at least) and swaps in its main element. No
// framework, nothing from elsewhere.
"use strict";
(function () {
  const asked = Number(new URLSearchParams(location.search).get("refresh"));
  const every = asked >= 200 ? asked : 2000;
  async function refresh() {
    try {
      const r = await fetch(location.href, { cache: "no-store" });
      if (!r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const next = doc.getElementById("main");
      const cur = document.getElementById("main");
      if (next && cur) cur.replaceWith(next);
    } catch (e) {
      // The authority may be restarting: try again at the next tick.
    }
  }
  setInterval(refresh, every);
})();
