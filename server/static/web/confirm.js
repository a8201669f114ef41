/* Confirmations for destructive actions: a submit button with data-confirm asks first; a checkbox with
   data-confirm-off asks when it is being unticked (its form is submitted only when confirmed). */
(function () {
  'use strict'
  document.addEventListener('submit', function (event) {
    var form = event.target
    var button = event.submitter || form.querySelector('[data-confirm]')
    var message = button && button.getAttribute('data-confirm')
    if (!message) {
      var box = form.querySelector('input[type=checkbox][data-confirm-off]')
      if (box && !box.checked && box.defaultChecked) message = box.getAttribute('data-confirm-off')
    }
    if (message && !window.confirm(message)) event.preventDefault()
  }, true)
})()
