import { describe, expect, it } from 'vitest';
import { initialParameters, referenceRoundGradient, seededUniforms } from '@privads/model';
import { linearCatalogGradient, type CatalogContent, type EventTable } from '@privads/sim';

describe('linearCatalogGradient', () => {
  it('equals the model package reference gradient of the same events', () => {
    const spec = { kind: 'linear', contentDim: 6, userDim: 4 } as const;
    const params = initialParameters(spec, 7);
    const count = 5;
    const content: CatalogContent = {
      encoderId: 'test',
      dim: 6,
      count,
      vectors: seededUniforms(count * 6, 3),
    };
    const users = seededUniforms(2 * 4, 9);
    // Event 0: user 0, slate [4, 1, 2] clicked index 1; event 1: user 1, slate [0, 4] clicked 0;
    // event 2: user 0, slate [1, 3, 0, 2] clicked 3 (item 1 appears in two events).
    const events: EventTable = {
      count: 3,
      user: Int32Array.of(0, 1, 0),
      start: Int32Array.of(0, 3, 5, 9),
      items: Int32Array.of(4, 1, 2, 0, 4, 1, 3, 0, 2),
      clicked: Int32Array.of(1, 0, 3),
    };
    const { gradient } = linearCatalogGradient(
      spec,
      params,
      content,
      events,
      [0, 1, 2],
      users,
      0.1,
    );
    const row = (i: number): Float32Array => content.vectors.slice(i * 6, (i + 1) * 6);
    const slate = (items: number[]): Float32Array => {
      const out = new Float32Array(items.length * 6);
      items.forEach((item, k) => out.set(row(item), k * 6));
      return out;
    };
    const reference = referenceRoundGradient(
      spec,
      params,
      [
        { user: users.slice(0, 4), slateContent: slate([4, 1, 2]), clickedIndex: 1 },
        { user: users.slice(4, 8), slateContent: slate([0, 4]), clickedIndex: 0 },
        { user: users.slice(0, 4), slateContent: slate([1, 3, 0, 2]), clickedIndex: 3 },
      ],
      0.1,
    );
    const scale = Math.max(...reference.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    gradient.forEach((g, i) =>
      expect(Math.abs(g - reference[i]!)).toBeLessThan(1e-9 * scale + 1e-12),
    );
  });

  it("adds each event's ∂L/∂u to its user's row (finite differences)", () => {
    const spec = { kind: 'linear', contentDim: 5, userDim: 3 } as const;
    const params = initialParameters(spec, 2);
    const content: CatalogContent = {
      encoderId: 'test',
      dim: 5,
      count: 4,
      vectors: seededUniforms(4 * 5, 4),
    };
    const events: EventTable = {
      count: 3,
      user: Int32Array.of(0, 1, 0),
      start: Int32Array.of(0, 3, 5, 8),
      items: Int32Array.of(3, 1, 2, 0, 3, 1, 2, 0),
      clicked: Int32Array.of(2, 1, 0),
    };
    const users = Float32Array.from(seededUniforms(2 * 3, 8), (x) => x + 0.5);
    const analytic = new Float64Array(users.length);
    linearCatalogGradient(spec, params, content, events, [0, 1, 2], users, 0.1, analytic);
    const lossAt = (u: Float32Array): number =>
      linearCatalogGradient(spec, params, content, events, [0, 1, 2], u, 0.1).loss;
    const h = 1e-3;
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(0.01);
    analytic.forEach((g, i) => {
      const plus = users.slice();
      const minus = users.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
      expect(Math.abs(g - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    });
  });

  it('refuses an MLP projector', () => {
    const spec = { kind: 'mlp', contentDim: 6, userDim: 4, hiddenDim: 3 } as const;
    const content: CatalogContent = {
      encoderId: 't',
      dim: 6,
      count: 1,
      vectors: new Float32Array(6),
    };
    const events: EventTable = {
      count: 0,
      user: new Int32Array(0),
      start: Int32Array.of(0),
      items: new Int32Array(0),
      clicked: new Int32Array(0),
    };
    expect(() =>
      linearCatalogGradient(
        spec,
        initialParameters(spec, 1),
        content,
        events,
        [],
        new Float32Array(4),
      ),
    ).toThrow(RangeError);
  });
});
