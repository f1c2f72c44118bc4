package io.promptline.processor.provider;

/**
 * How much of a deployment's limits this instance may use: the limits (requests and tokens per
 * minute) hold for all instances together, and each takes a share. The processor's view is kept
 * from the other instances' heartbeats; {@link #ALONE} is one instance with all of it.
 */
public interface CapacityView {
    /** This instance's share of the deployment's limits, in (0, 1]. */
    double share(String deployment);

    /** This instance has calls for the deployment (waiting or starting): it asks for its share. */
    void wanted(String deployment);

    CapacityView ALONE = new CapacityView() {
        @Override
        public double share(String deployment) {
            return 1.0;
        }

        @Override
        public void wanted(String deployment) {
            // alone: nothing to tell
        }
    };
}
