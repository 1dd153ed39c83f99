package dev.shoal.node.cluster;

import java.util.Arrays;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A generic JMX client run in its own JVM: connects to {@code args[0]} and prints one line per attribute of every
 * {@code dev.shoal:type=Node,*} bean ({@code ATTRIBUTE: value | value ...}) and Pekko's cluster {@code Members},
 * then {@code done}. It reads open types only, as jconsole would, and uses nothing of Shoal's.
 */
public final class NodeBeanProbe {

    private NodeBeanProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(args[0]))) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            for (ObjectName n : mbs.queryNames(new ObjectName("dev.shoal:type=Node,*"), null)) {
                System.out.println("NodeName: " + mbs.getAttribute(n, "NodeName"));
                for (String a : new String[] {"Members", "Capabilities", "Placements", "LoadedSlices"}) {
                    System.out.println(a + ": " + String.join(" | ", Arrays.asList((String[]) mbs.getAttribute(n, a))));
                }
                System.out.println("TokensPerSecond: " + mbs.getAttribute(n, "TokensPerSecond"));
            }
            for (ObjectName n : mbs.queryNames(new ObjectName("pekko:type=Cluster,*"), null)) {
                System.out.println("PekkoMembers: " + mbs.getAttribute(n, "Members"));
            }
        }
        System.out.println("done");
    }
}
