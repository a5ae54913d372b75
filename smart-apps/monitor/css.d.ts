// Stylesheets imported as text (esbuild's text loader, chosen per import with `with { type: 'text' }`),
// so that a library's CSS can be adopted into a component's shadow root.
declare module '*.css' {
  const text: string;
  export default text;
}
