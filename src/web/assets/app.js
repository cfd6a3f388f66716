// The one script of the web view: keeps an open stories page current. The server says when
// stories changed (Server-Sent Events on /events); the page then fetches itself again and swaps
// in the new rows, which the server rendered and escaped. Without JavaScript the page works the
// same, with a reload.
//
// The stream is closed when the page is hidden (`pagehide`): a page kept in the browser's
// back/forward cache must not hold a connection, or a few of them would use up the browser's
// connections to this site. Shown again from that cache, the page reopens it and refreshes.
(function () {
  var rows = document.getElementById('story-rows');
  if (!rows || !window.EventSource) { return; }
  var events = null;
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
  function open() {
    if (events) { return; }
    events = new EventSource('/events');
    events.addEventListener('stories', refresh);
    events.onopen = function () { document.body.setAttribute('data-live', 'open'); };
  }
  function close() {
    if (events) { events.close(); events = null; }
    document.body.removeAttribute('data-live');
  }
  window.addEventListener('pagehide', close);
  window.addEventListener('pageshow', function (e) {
    if (e.persisted) { open(); refresh(); }
  });
  open();
})();
