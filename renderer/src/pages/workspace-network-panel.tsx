import type { ProjectSummary } from '../../../server/contract/index.js';
import { addDomainsToWhitelist, deleteAllConversations, deleteConversation, downloadDocumentation } from '../actions/network-actions.js';
import { ConversationsSection, DocumentationSection, RecordedDomainsSection, SquidLogSection } from '../views/network-sections.js';
import { useLlmConversations, useRecordedDomains, useSquidLogFollow } from './use-network-activity.js';

/** Security Proxy workspaces: the followed squid log (polled only while the details panel is open). */
function SecurityNetworkPanel({ project }: { project: ProjectSummary }) {
  const follow = useSquidLogFollow(project.id);
  return <SquidLogSection follow={follow} />;
}

/** LLM Logging Proxy workspaces: recorded domains, conversations and the documentation download. */
function LoggingNetworkPanel({ project }: { project: ProjectSummary }) {
  const [domains, refreshDomains] = useRecordedDomains(project.id);
  const [conversations, refreshConversations] = useLlmConversations(project.id);
  return (
    <>
      <RecordedDomainsSection reading={domains} onRefresh={() => void refreshDomains()} onAddToWhitelist={addDomainsToWhitelist} />
      <ConversationsSection
        reading={conversations}
        onRefresh={() => void refreshConversations()}
        onDelete={(conversationId) => deleteConversation(project.id, conversationId)}
        onDeleteAll={() => deleteAllConversations(project.id)}
      />
      <DocumentationSection onDownload={(type) => downloadDocumentation(project.id, project.name, type)} />
    </>
  );
}

/** The network sections of a workspace's details panel by its proxy mode; nothing for `none`. */
export function WorkspaceNetworkPanel({ project }: { project: ProjectSummary }) {
  if (project.proxyMode === 'security') return <SecurityNetworkPanel key={project.id} project={project} />;
  if (project.proxyMode === 'logging') return <LoggingNetworkPanel key={project.id} project={project} />;
  return null;
}
