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
    const card = (l) => h('li', {},
      h('a', { href: `lesson.html?lesson=${encodeURIComponent(l.id)}` }, h('span', { class: 'lesson-title', text: l.title })),
      h('p', { class: 'lesson-summary', text: l.summary }),
      h('p', { class: 'lesson-guide', text: `From the guide: ${l.guide}` }),
      l.promql ? h('span', { class: 'lesson-badge', text: "with the guide's PromQL, run on your data" }) : null);
    const sections = (index.sections || []).length ? index.sections : [{ title: 'Lessons', blurb: '' }];
    fill(list, sections.map((s, i) => {
      const lessons = index.lessons.filter((l) => (l.section || 0) === i);
      const id = `section-${i + 1}`;
      return h('section', { class: 'lesson-section', 'aria-labelledby': id },
        h('h2', { id, text: s.title }),
        s.blurb ? h('p', { class: 'blurb', text: s.blurb }) : null,
        h('ol', { class: 'lesson-list' }, ...lessons.map(card)));
    }));
  } catch (e) {
    fill(list, h('p', { class: 'error', text: `Could not load the lessons (${e.message}). Build the site with ./build.sh serve.` }));
  }
}

main();
