/**
 * Prints one version's section of CHANGELOG.md: the notes of its GitHub release.
 *
 *   node tools/release-notes.ts 1.1.0 > notes.md     (a leading "v" is accepted: v1.1.0)
 *   node tools/release-notes.ts 1.1.0 path/to/CHANGELOG.md
 *
 * Exits 1 with a one-line reason when CHANGELOG.md has no section for the version, or an
 * empty one. The release workflow runs it on the pushed tag; `npm run release` uses the
 * same reading of the file to move the `[Unreleased]` entries under a new version.
 *
 * It needs Node 24 and nothing from node_modules (the release job does not run `npm ci`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a `## [name]` section of a Keep a Changelog file sits, in lines. */
export interface Section {
  /** The line of the `## [name] …` heading. */
  heading: number;
  /** The line after the section: the next `## ` heading, the link definitions at the bottom, or the end. */
  end: number;
  /** The section's text without the heading, leading and trailing blank lines removed. */
  body: string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A link reference definition: `[1.0.0]: https://…`. */
const LINK_DEFINITION = /^\[[^\]]+\]:\s*\S/;

/** The first line of the block of link definitions (and blank lines) that ends the file; `lines.length` if none. */
export function linkDefinitionsStart(lines: readonly string[]): number {
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    if (!LINK_DEFINITION.test(line)) break;
    start = i;
  }
  return start;
}

/** The `## [name]` section (`name` is `Unreleased` or a version), or undefined when there is none. */
export function findSection(lines: readonly string[], name: string): Section | undefined {
  const heading = lines.findIndex((line) => new RegExp(`^## \\[${escapeRegExp(name)}\\](?:\\s|$)`).test(line));
  if (heading < 0) return undefined;
  const links = linkDefinitionsStart(lines);
  let end = heading + 1;
  while (end < lines.length && end < links && !lines[end]?.startsWith('## ')) end++;
  const body = lines.slice(heading + 1, end);
  while (body.length > 0 && body[0]?.trim() === '') body.shift();
  while (body.length > 0 && body.at(-1)?.trim() === '') body.pop();
  return { heading, end, body };
}

/** The released versions, from the `## [x.y.z]` headings, in the order of the file. */
export function releasedVersions(lines: readonly string[]): string[] {
  return lines.flatMap((line) => /^## \[(\d+\.\d+\.\d+)\]/.exec(line)?.[1] ?? []);
}

/** The notes of `version` (the section without its heading, ending with a newline), or undefined when there is no section. */
export function releaseNotes(changelog: string, version: string): string | undefined {
  const section = findSection(changelog.split('\n'), version);
  return section && `${section.body.join('\n')}\n`;
}

if (import.meta.main) {
  const version = (process.argv[2] ?? '').replace(/^v/, '');
  const path = process.argv[3] ?? join(ROOT, 'CHANGELOG.md');
  const notes = version === '' ? undefined : releaseNotes(readFileSync(path, 'utf8'), version);
  if (version === '') {
    console.error('release-notes: give the version, e.g. node tools/release-notes.ts 1.1.0');
    process.exitCode = 1;
  } else if (notes === undefined) {
    console.error(`release-notes: CHANGELOG.md has no "## [${version}]" section`);
    process.exitCode = 1;
  } else if (notes.trim() === '') {
    console.error(`release-notes: the "## [${version}]" section of CHANGELOG.md is empty`);
    process.exitCode = 1;
  } else {
    process.stdout.write(notes);
  }
}
