// The colour theme: auto (follow the system), light or dark, remembered per browser.
// The page's CSS reads `data-theme` on <html>; the plot asks `isDark()`.

const KEY = 'alertmath-theme';
const ORDER = ['auto', 'light', 'dark'];
const media = window.matchMedia('(prefers-color-scheme: dark)');

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return ORDER.includes(v) ? v : 'auto';
  } catch {
    return 'auto';
  }
}

let choice = stored();

function apply() {
  document.documentElement.dataset.theme = choice;
  const button = document.getElementById('theme-toggle');
  if (button) button.textContent = `Theme: ${choice}`;
  window.dispatchEvent(new CustomEvent('alertmath:theme'));
}

/** Whether the page is currently dark. */
export function isDark() {
  return choice === 'dark' || (choice === 'auto' && media.matches);
}

export function initTheme() {
  apply();
  media.addEventListener('change', apply);
  const button = document.getElementById('theme-toggle');
  if (button) {
    button.addEventListener('click', () => {
      choice = ORDER[(ORDER.indexOf(choice) + 1) % ORDER.length];
      try {
        localStorage.setItem(KEY, choice);
      } catch {
        // Storage may be unavailable (embedded, private mode); the choice lasts the visit.
      }
      apply();
    });
  }
}
