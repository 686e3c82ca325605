// Records every script error, failed resource load and console.error into
// <html data-console-errors="..."> so a headless browser's DOM dump shows them.
(function () {
  'use strict';
  var errors = [];
  function record(message) {
    errors.push(String(message));
    document.documentElement.setAttribute('data-console-errors', JSON.stringify(errors));
    document.documentElement.setAttribute('data-console-error-count', String(errors.length));
  }
  document.documentElement.setAttribute('data-console-error-count', '0');
  window.addEventListener('error', function (e) {
    if (e.target && e.target !== window && e.target.tagName) {
      record('failed to load ' + e.target.tagName.toLowerCase() + ' ' + (e.target.src || e.target.href || ''));
    } else {
      record((e.message || 'error') + ' at ' + (e.filename || '?') + ':' + (e.lineno || 0));
    }
  }, true);
  window.addEventListener('unhandledrejection', function (e) { record('unhandled rejection: ' + e.reason); });
  var original = console.error;
  console.error = function () {
    record(Array.prototype.slice.call(arguments).join(' '));
    return original.apply(console, arguments);
  };
}());
