/** Vite turns an imported asset into its public URL (under `base`). */
declare module '*.svg' {
  const url: string;
  export default url;
}
