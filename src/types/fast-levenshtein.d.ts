/** fast-levenshtein ships no types; the one function dsqlctl uses. */
declare module 'fast-levenshtein' {
  const levenshtein: { get(a: string, b: string): number };
  export default levenshtein;
}
