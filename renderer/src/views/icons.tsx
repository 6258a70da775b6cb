/** Small inline SVG icons (no icon font, nothing fetched). Decorative: hidden from assistive technology. */
const PATHS = {
  lock: 'M6 9V7a4 4 0 118 0v2m-9 0h10a1 1 0 011 1v6a1 1 0 01-1 1H5a1 1 0 01-1-1v-6a1 1 0 011-1z',
  external: 'M11 4h5v5m0-5l-7 7M8 5H5a1 1 0 00-1 1v9a1 1 0 001 1h9a1 1 0 001-1v-3',
  play: 'M7 5l8 5-8 5V5z',
  stop: 'M6 6h8v8H6z',
  trash: 'M4 6h12M8 6V4h4v2m-6 0l1 10h6l1-10',
  plus: 'M10 4v12M4 10h12',
  alert: 'M10 3l8 14H2L10 3zm0 5v4m0 3v.01',
  box: 'M3 6l7-3 7 3v8l-7 3-7-3V6zm0 0l7 3 7-3M10 9v8',
  check: 'M4 10l4 4 8-8',
  info: 'M10 18a8 8 0 100-16 8 8 0 000 16zm0-9v5m0-8v.01',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  return (
    <svg className="icon" viewBox="0 0 20 20" width={size} height={size} aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
