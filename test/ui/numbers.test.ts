import { expect, it } from "vitest";
import { grouped } from "../../src/ui/numbers.js";

it("writes every number as Intl's en-US with at most 2 or 6 decimals would, by hand where nothing needs rounding", () => {
  const two = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const six = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
  let seed = 11;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const values = [0, -0, 1, -1, 999, 1000, -1000, 1234.5, 0.1 + 0.2, 1e21, -1e21, 1e-7, 123456789.123456, NaN, Infinity, -Infinity, 0.000001, 0.0000015];
  for (let i = 0; i < 3000; i++) {
    const magnitude = 10 ** Math.floor(r() * 24 - 8);
    const v = (r() - 0.5) * magnitude;
    values.push(v, Math.round(v), Math.round(v * 100) / 100, Number(v.toPrecision(6)), Number(v.toPrecision(3)));
  }
  for (const v of values) {
    expect(grouped(v, 2, two), String(v)).toBe(two.format(v));
    expect(grouped(v, 6, six), String(v)).toBe(six.format(v));
  }
});
