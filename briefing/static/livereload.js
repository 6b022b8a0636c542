// The preview's live-reload client. `briefing serve` adds it to the pages it serves;
// `briefing build` output never contains it.
//
// Events from the server: "hello" on connecting (which build it serves), "reload" after a
// rebuild that changed pages, "css" after a rebuild that changed only stylesheets, and
// "problems" (a JSON list of {path, line, column, message, hint}) whenever the list of build
// errors changes; an empty list means the last build succeeded.
(function () {
  "use strict";

  var script = document.currentScript;
  var instance = (script && script.dataset.instance) || "";
  var generation = Number((script && script.dataset.generation) || 0);
  var eventsUrl = new URL("events", script ? script.src : location.href);
  var scrollKey = "briefing:scroll:" + location.pathname;
  var overlayId = "__briefing-problems";

  function reload() {
    try {
      sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY]));
    } catch (ignored) {
      // Private browsing may refuse storage; the reload matters more than the scroll.
    }
    location.reload();
  }

  function restoreScroll() {
    var saved = null;
    try {
      saved = sessionStorage.getItem(scrollKey);
      sessionStorage.removeItem(scrollKey);
    } catch (ignored) {
      return;
    }
    if (saved === null) {
      return;
    }
    var position = JSON.parse(saved);
    window.scrollTo(position[0], position[1]);
  }

  // Swap each same-origin stylesheet for a fresh copy; the old one goes once the new one has
  // loaded, so the page never flashes unstyled and its scripts keep their state.
  function swapStylesheets() {
    var stamp = String(Date.now());
    document.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) {
        return;
      }
      url.searchParams.set("briefing-reload", stamp);
      var fresh = link.cloneNode();
      fresh.href = url.href;
      fresh.addEventListener("load", function () {
        link.remove();
      });
      fresh.addEventListener("error", function () {
        fresh.remove();
      });
      link.after(fresh);
    });
  }

  function element(tag, text, style) {
    var node = document.createElement(tag);
    if (text) {
      node.textContent = text;
    }
    if (style) {
      node.style.cssText = style;
    }
    return node;
  }

  function showProblems(problems) {
    var old = document.getElementById(overlayId);
    if (old) {
      old.remove();
    }
    if (!problems.length) {
      return;
    }
    var box = element(
      "div",
      "",
      "position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:70vh;overflow:auto;" +
        "margin:0;padding:1rem 1.25rem;background:#fff4f2;color:#1b1b1b;" +
        "border-bottom:4px solid #b3261e;box-shadow:0 4px 16px rgba(0,0,0,.25);" +
        "font:16px/1.45 system-ui,sans-serif;text-align:left"
    );
    box.id = overlayId;
    box.setAttribute("role", "alert");
    var title = problems.length === 1 ? "1 problem" : problems.length + " problems";
    box.appendChild(
      element(
        "p",
        "The site could not be rebuilt (" + title + "). The last good pages are shown until it is fixed.",
        "margin:0 0 .5rem;font-weight:700"
      )
    );
    var list = element("ul", "", "margin:0;padding-left:1.25rem");
    problems.forEach(function (problem) {
      var where = problem.path;
      if (problem.line) {
        where += ":" + problem.line + (problem.column ? ":" + problem.column : "");
      }
      var item = element("li", "", "margin:.25rem 0");
      item.appendChild(element("code", where, "font-weight:700"));
      item.appendChild(document.createTextNode(": " + problem.message));
      if (problem.source_line) {
        item.appendChild(element("pre", problem.source_line, "margin:.25rem 0;white-space:pre-wrap"));
      }
      if (problem.hint) {
        item.appendChild(element("div", "Hint: " + problem.hint, "color:#4a4a4a"));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    var hide = element("button", "Hide", "margin-top:.5rem;font:inherit;padding:.2rem .8rem");
    hide.type = "button";
    hide.addEventListener("click", function () {
      box.remove();
    });
    box.appendChild(hide);
    document.body.appendChild(box);
  }

  function connect() {
    var source = new EventSource(eventsUrl);
    source.addEventListener("hello", function (event) {
      var state = JSON.parse(event.data);
      // A rebuild finished between serving this page and connecting: the page is stale.
      if (state.instance !== instance || state.generation > generation) {
        reload();
      }
    });
    source.addEventListener("reload", reload);
    source.addEventListener("css", function (event) {
      generation = JSON.parse(event.data).generation;
      swapStylesheets();
    });
    source.addEventListener("problems", function (event) {
      showProblems(JSON.parse(event.data));
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  if (document.readyState === "complete") {
    restoreScroll();
  } else {
    window.addEventListener("load", restoreScroll);
  }
  connect();
})();
