// The home page: the list of lessons, from lessons/index.json.

import { h, fill } from './dom.js';
import { initTheme } from './theme.js';

initTheme();

async function main() {
  const list = document.getElementById('lessons');
  try {
    const response = await fetch('lessons/index.json');
    if (!response.ok) throw new Error(`lessons/index.json: ${response.status}`);
    const index = await response.json();
    fill(list, index.lessons.map((l) =>
      h('li', {},
        h('a', { href: `lesson.html?lesson=${encodeURIComponent(l.id)}` }, h('span', { class: 'lesson-title', text: l.title })),
        h('p', { class: 'lesson-summary', text: l.summary }),
        h('p', { class: 'lesson-guide', text: `From the guide: ${l.guide}` }))));
  } catch (e) {
    fill(list, h('li', { class: 'error', text: `Could not load the lessons (${e.message}). Build the site with ./build.sh serve.` }));
  }
}

main();
