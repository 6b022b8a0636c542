/* The default theme's lightbox: progressive enhancement of the "Enlarge this image" link.

   Without JavaScript, or in a browser without <dialog>, the link simply leads to the full
   image. With it, a plain click opens the full image in a modal <dialog> (the rest of the
   page is inert while it is open); Escape, the Close button or a click on the backdrop
   closes it, and focus returns to the link that opened it. A click with a modifier key
   (new tab, new window, download) is left to the browser. No libraries. */
(function () {
  "use strict";

  if (typeof HTMLDialogElement !== "function" || !("showModal" in HTMLDialogElement.prototype)) {
    return;
  }

  var dialog = null;
  var picture = null;
  var caption = null;
  var opener = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Enlarged image");

    var bar = document.createElement("div");
    bar.className = "lightbox-bar";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "lightbox-close";
    close.textContent = "Close";
    close.addEventListener("click", function () {
      dialog.close();
    });
    bar.appendChild(close);

    picture = document.createElement("img");
    picture.decoding = "async";
    caption = document.createElement("p");
    caption.className = "lightbox-caption";
    caption.id = "lightbox-caption";

    dialog.append(bar, picture, caption);
    // A click on the backdrop lands on the <dialog> itself, outside its box.
    dialog.addEventListener("click", function (event) {
      var box = dialog.getBoundingClientRect();
      var outside =
        event.clientX < box.left || event.clientX > box.right ||
        event.clientY < box.top || event.clientY > box.bottom;
      if (event.target === dialog && outside) {
        dialog.close();
      }
    });
    dialog.addEventListener("close", function () {
      picture.removeAttribute("src");
      var returnTo = opener;
      opener = null;
      if (returnTo && returnTo.isConnected) {
        returnTo.focus();
      }
    });
    document.body.appendChild(dialog);
  }

  function open(link) {
    if (!dialog) {
      build();
    }
    var figure = link.closest("figure");
    var source = figure ? figure.querySelector("img") : null;
    var figcaption = figure ? figure.querySelector("figcaption") : null;

    picture.alt = source ? source.alt : "";
    picture.src = link.href;
    caption.replaceChildren();
    if (figcaption) {
      figcaption.childNodes.forEach(function (node) {
        caption.appendChild(node.cloneNode(true));
      });
      dialog.setAttribute("aria-describedby", caption.id);
    } else {
      dialog.removeAttribute("aria-describedby");
    }
    caption.hidden = !figcaption;

    opener = link;
    dialog.showModal(); // focuses the Close button, the dialog's first control
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target instanceof Element ? event.target.closest("a.enlarge[href]") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    open(link);
  });
})();
