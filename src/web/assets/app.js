// The one script of the web view: keeps an open stories page current. The server says when
// stories changed (Server-Sent Events on /events); the page then fetches itself again and swaps
// in the new rows, which the server rendered and escaped. Without JavaScript the page works the
// same, with a reload.
(function () {
  var rows = document.getElementById('story-rows');
  if (!rows || !window.EventSource) { return; }
  var events = new EventSource('/events');
  var busy = false;
  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(window.location.href, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('story-rows');
        if (fresh) {
          rows.replaceWith(document.importNode(fresh, true));
          rows = document.getElementById('story-rows');
          var empty = document.getElementById('empty');
          if (empty && rows.children.length > 0) { empty.remove(); }
        }
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  events.addEventListener('stories', refresh);
  events.onopen = function () { document.body.setAttribute('data-live', 'open'); };
})();
