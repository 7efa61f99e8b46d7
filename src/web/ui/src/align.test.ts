import { describe, expect, it } from "vitest";
import { alignSeries } from "./align";
import type { MatrixSeries } from "./api";

const s = (values: [number, string][]): MatrixSeries => ({ metric: {}, values });

describe("alignSeries", () => {
  const cases: { name: string; series: MatrixSeries[]; want: unknown[] }[] = [
    { name: "no series", series: [], want: [[]] },
    {
      name: "same timestamps",
      series: [
        s([
          [0, "1"],
          [15, "2"],
        ]),
        s([
          [0, "3"],
          [15, "4"],
        ]),
      ],
      want: [
        [0, 15],
        [1, 2],
        [3, 4],
      ],
    },
    {
      name: "interleaved timestamps are spanned, not gaps",
      series: [
        s([
          [0, "1"],
          [15, "2"],
        ]),
        s([[7.5, "3"]]),
      ],
      want: [
        [0, 7.5, 15],
        [1, undefined, 2],
        [undefined, 3, undefined],
      ],
    },
    {
      name: "NaN and infinities are gaps",
      series: [
        s([
          [0, "NaN"],
          [15, "+Inf"],
          [30, "-Inf"],
          [45, "1.5e3"],
        ]),
      ],
      want: [
        [0, 15, 30, 45],
        [null, null, null, 1500],
      ],
    },
    {
      name: "missing steps become one gap",
      series: [
        s([
          [0, "1"],
          [60, "2"],
        ]),
        s([
          [0, "1"],
          [15, "1"],
          [30, "1"],
          [45, "1"],
          [60, "1"],
        ]),
      ],
      want: [
        [0, 15, 30, 45, 60],
        [1, null, null, null, 2],
        [1, 1, 1, 1, 1],
      ],
    },
    {
      name: "a gap spreads over the alignment fillers next to it",
      series: [
        s([
          [0, "1"],
          [15, "NaN"],
          [30, "2"],
        ]),
        s([
          [7.5, "1"],
          [22.5, "1"],
        ]),
      ],
      want: [
        [0, 7.5, 15, 22.5, 30],
        [1, null, null, null, 2],
        [undefined, 1, undefined, 1, undefined],
      ],
    },
    {
      name: "a gap gets an x value of its own when no series has one",
      series: [
        s([
          [0, "1"],
          [60, "2"],
        ]),
      ],
      want: [
        [0, 15, 60],
        [1, null, 2],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(alignSeries(c.series, 15)).toEqual(c.want));
  }
});
