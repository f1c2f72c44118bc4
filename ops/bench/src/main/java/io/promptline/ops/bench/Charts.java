package io.promptline.ops.bench;

import io.promptline.avro.Priority;
import io.promptline.ops.bench.RunSpec.Kind;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's PNG: throughput against its bound per run, and the priority run's latencies. */
final class Charts {
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    static void write(List<Measurement> runs, Path png) throws IOException {
        List<BufferedImage> panels = new ArrayList<>();
        panels.add(BitmapEncoder.getBufferedImage(throughput(runs)));
        runs.stream().filter(m -> m.spec().kind() == Kind.PRIORITY).findFirst()
                .ifPresent(m -> panels.add(BitmapEncoder.getBufferedImage(priority(m))));
        BufferedImage all = new BufferedImage(WIDTH, HEIGHT * panels.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        for (int i = 0; i < panels.size(); i++) g.drawImage(panels.get(i), 0, i * HEIGHT, null);
        g.dispose();
        javax.imageio.ImageIO.write(all, "png", png.toFile());
    }

    private static CategoryChart throughput(List<Measurement> runs) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Sustained results/s against the bound min(C/L, CPU ceiling)").xAxisTitle("run").yAxisTitle("results/s").build();
        style(chart);
        List<String> names = new ArrayList<>();
        List<Double> measured = new ArrayList<>();
        List<Double> bound = new ArrayList<>();
        for (Measurement m : runs) {
            names.add(m.spec().label());
            measured.add(m.resultsPerSec());
            bound.add(Double.isNaN(m.boundPerSec()) ? m.resultsPerSec() : m.boundPerSec());
        }
        chart.addSeries("bound", names, bound).setFillColor(new Color(0xB0BEC5));
        chart.addSeries("measured", names, measured).setFillColor(new Color(0x1E88E5));
        return chart;
    }

    private static CategoryChart priority(Measurement m) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Priority isolation: end-to-end latency while a batch backlog saturates C=" + m.spec().concurrency()
                        + " at L=" + m.spec().latencyMs() + " ms")
                .xAxisTitle("percentile").yAxisTitle("ms").build();
        style(chart);
        List<String> pcts = List.of("p50", "p99", "max");
        double[] ps = {50, 99, 100};
        // Urgent only, with its target: the batch latency is its backlog's depth, another scale (see results.md).
        for (Priority tier : List.of(Priority.URGENT)) {
            List<Double> values = new ArrayList<>();
            for (double p : ps) values.add(Double.isNaN(m.latencyMs(tier, p)) ? 0.0 : m.latencyMs(tier, p));
            chart.addSeries(tier.name().toLowerCase(), pcts, values);
        }
        double target = m.spec().latencyMs() + Report.URGENT_SLACK_MS;
        chart.addSeries("urgent target (L+250 ms)", pcts, List.of(target, target, target)).setFillColor(new Color(0xE53935));
        return chart;
    }

    private static void style(CategoryChart chart) {
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
    }
}
