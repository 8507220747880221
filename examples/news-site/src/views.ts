import { articles, categories, formatDate, titleCase, type Article } from './content.js';
import { h } from './dom.js';

const articleHref = (article: Article): string => `#/article/${article.slug}`;
const categoryHref = (category: string): string => `#/section/${category}`;

function byline(article: Article): HTMLElement {
  return h(
    'span',
    { class: 'byline' },
    `By ${article.author} · ${formatDate(article.publishedAt)} · ${article.readingMinutes} min read`,
  );
}

function storyCard(article: Article): HTMLElement {
  return h(
    'article',
    { class: 'story-card' },
    h('a', { class: 'kicker', href: categoryHref(article.category) }, titleCase(article.category)),
    h('h3', {}, h('a', { href: articleHref(article) }, article.title)),
    h('p', { class: 'dek' }, article.dek),
    byline(article),
  );
}

function leadStory(article: Article): HTMLElement {
  return h(
    'article',
    { class: 'lead-story' },
    h('a', { class: 'kicker', href: categoryHref(article.category) }, titleCase(article.category)),
    h('h2', {}, h('a', { href: articleHref(article) }, article.title)),
    h('p', { class: 'dek' }, article.dek),
    byline(article),
  );
}

/** The section navigation, with the current section marked. */
export function renderNavigation(nav: HTMLElement, current: string | undefined): void {
  nav.replaceChildren(
    h('a', { href: '#/', 'aria-current': current === undefined ? 'page' : undefined }, 'Home'),
    ...categories.map((category) =>
      h(
        'a',
        { href: categoryHref(category), 'aria-current': current === category ? 'page' : undefined },
        titleCase(category),
      ),
    ),
  );
}

/** Home: the newest story as the lead, then the rest of the front page. */
export function homeView(): HTMLElement {
  const [lead, ...rest] = articles;
  return h(
    'div',
    {},
    lead ? leadStory(lead) : null,
    h('div', { class: 'story-grid' }, ...rest.slice(0, 18).map(storyCard)),
  );
}

/** A section front: every story of one category. */
export function sectionView(category: string): HTMLElement {
  const stories = articles.filter((article) => article.category === category);
  const [lead, ...rest] = stories;
  return h(
    'div',
    {},
    h('h1', { class: 'section-title' }, titleCase(category)),
    lead ? leadStory(lead) : h('p', {}, 'No stories in this section yet.'),
    h('div', { class: 'story-grid' }, ...rest.map(storyCard)),
  );
}

/**
 * An article, with an in-article ad slot after its second paragraph.
 * @param inArticleSlot - the slot element to place in the body
 */
export function articleView(article: Article, inArticleSlot: HTMLElement): HTMLElement {
  const paragraphs: HTMLElement[] = article.body.map((text) => h('p', { class: 'body' }, text));
  paragraphs.splice(Math.min(2, paragraphs.length), 0, inArticleSlot);
  const related = articles
    .filter((other) => other.category === article.category && other.slug !== article.slug)
    .slice(0, 3);
  return h(
    'article',
    { class: 'article' },
    h('a', { class: 'kicker', href: categoryHref(article.category) }, titleCase(article.category)),
    h('h1', {}, article.title),
    h('p', { class: 'dek' }, article.dek),
    byline(article),
    ...paragraphs,
    related.length > 0
      ? h('h2', { class: 'section-title' }, 'More in ' + titleCase(article.category))
      : null,
    h('div', { class: 'story-grid' }, ...related.map(storyCard)),
  );
}
