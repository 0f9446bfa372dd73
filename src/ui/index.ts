/**
 * Revue's kit for building pages: components that render on the server as
 * ordinary elements, so they diff, stream and snapshot like the rest of a page.
 *
 * @example
 * import { markdown } from "revue/ui";
 * render() { return h("main", {}, markdown("# Hello\n\nWelcome, **friend**.")); }
 */
export { markdown, type MarkdownOptions } from "./markdown.js";
export { lineChart, areaChart, scatterChart, barChart, histogram, sparkline, PALETTE, type Point, type Series, type BarSeries, type AxisOptions, type ChartOptions } from "./chart.js";
export { theme } from "./theme.js";
export { Interface, type InterfaceOptions, type InputSpec, type OutputSpec } from "./interface.js";
export { textInput, textarea, numberInput, slider, checkbox, toggle, select, radio, multiselect, dateInput, colorInput, button, type ControlOptions, type TextOptions, type NumberOptions, type ButtonOptions, type Choice } from "./controls.js";
export { form, formState, type FormState, type FormFields, type FormOptions } from "./form.js";
export { columns, tabs, expander, sidebar, dialog, type ColumnsOptions, type Tab } from "./layout.js";
export { bindField, followUp, UNCHANGED, type FieldUpdate } from "../registry/fields.js";
export { fileUpload, uploadState, humanBytes, type UploadState, type FileUploadOptions } from "./upload.js";
