// <owner-card>: a web component with an open shadow root. Save shows the
// name and empties the field (in plain DOM code); a PIN, a card number and a
// masked note live in the shadow root too.
const TEMPLATE = `
<style>
  :host { display: block; border: 1px solid #ccc; padding: 8px 12px; margin-top: 12px; }
  label { display: block; margin: 4px 0; }
</style>
<h3>Owner</h3>
<label>Name <input id="owner-name"></label>
<button id="owner-save" type="button">Save owner</button>
<p id="owner-saved">No owner yet</p>
<label>PIN <input id="owner-pin" type="password"></label>
<label>Card <input id="owner-card" autocomplete="cc-number"></label>
<div data-tandem-mask><p id="owner-secret">SHADOW-SECRET-TEXT</p><input id="owner-secret-input"></div>`;

class OwnerCard extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = TEMPLATE;
    const name = root.getElementById('owner-name');
    root.getElementById('owner-save').addEventListener('click', () => {
      root.getElementById('owner-saved').textContent = `Owner: ${name.value}`;
      name.value = '';
    });
  }
}

customElements.define('owner-card', OwnerCard);

// <secret-note>: a shadow root with nothing masked inside; the site masks its host.
class SecretNote extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    this.attachShadow({ mode: 'open' }).innerHTML = '<p>HOST-MASKED-TEXT</p><label>Note <input id="secret-note-input"></label>';
  }
}

customElements.define('secret-note', SecretNote);
