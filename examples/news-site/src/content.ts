import articlesJson from '../content/articles.json' with { type: 'json' };

/** A demo article, as written in `content/articles.json`. */
export interface Article {
  readonly slug: string;
  readonly category: string;
  readonly title: string;
  readonly dek: string;
  readonly author: string;
  readonly publishedAt: string;
  readonly readingMinutes: number;
  readonly body: readonly string[];
}

/** Every article, newest first. */
export const articles: readonly Article[] = [...(articlesJson as Article[])].sort((a, b) =>
  b.publishedAt.localeCompare(a.publishedAt),
);

/** Section names in navigation order. */
export const categories: readonly string[] = [
  'technology',
  'science',
  'finance',
  'health',
  'sports',
  'travel',
  'food',
  'culture',
];

/** The full text of an article: what the reader reads, and what `recordRead` learns from. */
export const articleText = (article: Article): string =>
  [article.title, article.dek, ...article.body].join('\n\n');

export const findArticle = (slug: string): Article | undefined =>
  articles.find((article) => article.slug === slug);

export const formatDate = (iso: string): string =>
  new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });

export const titleCase = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
