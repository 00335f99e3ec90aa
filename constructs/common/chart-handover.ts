import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Refuses to synthesize when objects were added to a cdk8s chart after it was handed to the
 * cluster. `addCdk8sChart` renders the chart (`toJson()`) at once, so anything added later
 * would silently never be applied; this turns that into a synth-time error on `scope`.
 *
 * @param scope  the construct that received the chart (its path starts the message)
 * @param chart  the chart as handed over
 * @param prop  how the chart was handed over, e.g. `KubeVirt.addCdk8sChart(chart)`
 */
export function guardChartHandover(scope: IConstruct, chart: Chart, prop: string): void {
  const handedOver = chart.node.findAll().length;
  scope.node.addValidation({
    validate: () => {
      const now = chart.node.findAll().length;
      return now === handedOver ? [] : [
        `${prop}: ${now - handedOver} construct(s) were added to chart ${chart.node.path} after it was handed over; `
        + 'the chart was rendered when it was handed over, so they would never be applied. Add every object before handing the chart over.',
      ];
    },
  });
}
