// uPlot's stylesheet imported as text (esbuild: `with { type: 'text' }`), adopted into a shadow root.
declare module 'uplot/dist/uPlot.min.css' {
  const text: string;
  export default text;
}
