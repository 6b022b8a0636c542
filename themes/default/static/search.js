// The search page: asks the static Pagefind index built with the site, no server needed.
(() => {
  "use strict";
  const form = document.querySelector("[data-search]");
  if (!form) return;
  const status = document.querySelector("[data-search-status]");
  const list = document.querySelector("[data-search-results]");
  let pagefind = null;

  // The index comes in bundles (a year, a quarter or the newest month each, newest first,
  // then the pages): the first is loaded and the others merged into it.
  async function engine() {
    if (!pagefind) {
      const root = form.dataset.bundle;
      // Revalidated: a cached list from before a deploy could name bundles that are gone.
      const response = await fetch(root + "bundles.json", { cache: "no-cache" });
      if (!response.ok) throw new Error("no search index");
      const bundles = await response.json();
      // A site with nothing to search yet has no bundle: every search finds nothing.
      if (!bundles.length) return { search: async () => ({ results: [] }) };
      const options = { baseUrl: form.dataset.base };
      const loaded = await import(root + bundles[0] + "/pagefind.js");
      await loaded.options(options);
      // All at once: Pagefind keeps them in the order asked, and one after the other cost
      // a round trip each (2.8 against 1.5 s on a throttled phone-like profile).
      const merging = bundles.slice(1).map((name) => loaded.mergeIndex(`${root}${name}/`, options));
      await Promise.all(merging);
      pagefind = loaded;
    }
    return pagefind;
  }

  function result(data) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    const heading = document.createElement("h2");
    heading.className = "search-result-title";
    heading.append(link);
    item.append(heading);
    if (data.meta && data.meta.date) {
      const date = document.createElement("p");
      date.className = "search-result-date";
      date.textContent = data.meta.date;
      item.append(date);
    }
    const excerpt = document.createElement("p");
    // Pagefind's excerpt is escaped text with <mark> around the matches.
    excerpt.innerHTML = data.excerpt;
    item.append(excerpt);
    return item;
  }

  async function run() {
    const query = form.elements.q.value.trim();
    const section = form.elements.section.value;
    const tag = form.elements.tag ? form.elements.tag.value : "";
    list.replaceChildren();
    if (!query) return;
    status.textContent = "Searching…";
    try {
      const search = await (await engine()).search(query);
      // Sections are page metadata rather than Pagefind filters: filter indexes are not
      // byte-identical from one build to the next, and briefing's output must be.
      const narrowed = section || tag;
      const candidates = search.results.slice(0, narrowed ? 200 : 20);
      let found = await Promise.all(candidates.map((r) => r.data()));
      if (section) found = found.filter((data) => data.meta && data.meta.section === section);
      if (tag) {
        found = found.filter((data) => ((data.meta && data.meta.tags) || "").split("|").includes(tag));
      }
      list.replaceChildren(...found.slice(0, 20).map(result));
      status.textContent = found.length
        ? `${found.length} ${found.length === 1 ? "story" : "stories"} found.`
        : "Nothing found.";
    } catch (error) {
      status.textContent = "Search is not available on this copy of the site.";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("q", form.elements.q.value);
    history.replaceState(null, "", url);
    run();
  });
  const initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    form.elements.q.value = initial;
    run();
  }
})();
