// Nordic Outfitters demo shop: a cart counter, so a cobrowse session has something to watch.
'use strict';

(() => {
  const cart = document.getElementById('cart');
  if (!cart) return;
  const label = cart.dataset.label || '{count}';
  let count = 0;
  for (const button of document.querySelectorAll('.add-to-cart')) {
    button.addEventListener('click', () => {
      count += 1;
      cart.textContent = label.replace('{count}', String(count));
      const original = button.textContent;
      button.textContent = button.dataset.added || original;
      button.disabled = true;
      setTimeout(() => { button.textContent = original; button.disabled = false; }, 1200);
    });
  }
})();
