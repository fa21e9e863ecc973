import type { ComponentChildren } from 'preact';
import type { Feed } from '../hooks';

const STATUS_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

/** The app's name, whether the page is following its events, and the raw endpoints. */
export function Header(props: {
  app: 'proxy' | 'server';
  feed: Feed;
  links: readonly string[];
  children?: ComponentChildren;
}) {
  const { feed } = props;
  return (
    <header class="header">
      <h1>
        semicache <span class="app">{props.app}</span>
      </h1>
      <div class="summary">{props.children}</div>
      <span class={`status status-${feed.status}`} data-testid="status">
        {STATUS_TEXT[feed.status]}
      </span>
      <nav>
        {props.links.map((link) => (
          <a key={link} href={link}>
            {link}
          </a>
        ))}
      </nav>
    </header>
  );
}

/** A titled box of the page. */
export function Card(props: {
  title: string;
  note?: ComponentChildren;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      <h2>
        {props.title}
        {props.note === undefined ? null : <span class="note">{props.note}</span>}
      </h2>
      {props.children}
    </section>
  );
}
