/**
 * Revue's kit for building pages: components that render on the server as
 * ordinary elements, so they diff, stream and snapshot like the rest of a page.
 *
 * @example
 * import { markdown } from "revue/ui";
 * render() { return h("main", {}, markdown("# Hello\n\nWelcome, **friend**.")); }
 */
export { markdown, type MarkdownOptions } from "./markdown.js";
export { lineChart, areaChart, scatterChart, barChart, histogram, sparkline, PALETTE, type Point, type Series, type BarSeries, type AxisOptions, type ChartOptions, type SparklineOptions } from "./chart.js";
export { theme } from "./theme.js";
export { Interface, type InterfaceOptions, type InputSpec, type OutputSpec } from "./interface.js";
export { code, json, image, metric, download, displayCss, MAX_DOWNLOAD_BYTES, type CodeOptions, type JsonOptions, type ImageOptions, type MetricOptions, type DownloadOptions } from "./display.js";
export { progress, spinner, alert, toast, toasts, feedbackCss, type AlertKind, type AlertOptions, type ProgressOptions, type SpinnerOptions, type Toast } from "./feedback.js";
export { chatMessage, chatLog, chatInput, chatComposer, initials, chatCss, type ChatMessage, type ChatMessageOptions, type ChatComposer, type ChatInputOptions } from "./chat.js";
export { dataframe, tableView, dataframeCss, type TableView, type Row, type Column, type DataframeOptions } from "./dataframe.js";
export { textInput, textarea, numberInput, slider, checkbox, toggle, select, radio, multiselect, dateInput, colorInput, button, type ControlOptions, type TextOptions, type NumberOptions, type ButtonOptions, type Choice } from "./controls.js";
export { form, formState, type FormState, type FormFields, type FormOptions } from "./form.js";
export { columns, tabs, expander, sidebar, dialog, type ColumnsOptions, type Tab } from "./layout.js";
export { bindField, followUp, UNCHANGED, type FieldUpdate } from "../registry/fields.js";
export { fileUpload, uploadState, humanBytes, type UploadState, type FileUploadOptions } from "./upload.js";
/** What an upload method receives (also exported by "revue"), for `fileUpload`'s method: `@server.realtime attach(...files: UploadedFile[])`. */
export type { UploadedFile } from "../session/uploads.js";
