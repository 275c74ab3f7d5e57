import { Injectable } from '@nestjs/common';
import { EMPTY, Subject } from 'rxjs';
import {
  StreamAccess,
  type StreamLibraryRole,
  type StreamPrincipal,
} from '../../../src/events/events.ports.js';

/** A member of the host's staff: each belongs to a team; leads run their team's projects. */
export interface StaffMember {
  id: string;
  name: string;
  team: string;
  lead: boolean;
  /** Operators see everything, as Reelay's server admins do. */
  operator: boolean;
}

export interface Project {
  id: string;
  team: string;
}

/**
 * The host's own permission rule, nothing like Reelay's grants: a project belongs to a team;
 * its members read it, its lead runs it (Reelay's library admin), operators run everything.
 */
@Injectable()
export class HostDirectory extends StreamAccess {
  private readonly staff = new Map<string, StaffMember>();
  private readonly projects = new Map<string, Project>();
  private readonly removed = new Subject<string>();
  readonly userRemoved$ = this.removed.asObservable();
  /** One process: no change to replay elsewhere. */
  readonly changes$ = EMPTY;

  apply(): void {}

  addMember(member: StaffMember): void {
    this.staff.set(member.id, member);
  }

  removeMember(id: string): void {
    this.staff.delete(id);
    this.removed.next(id);
  }

  addProject(project: Project): void {
    this.projects.set(project.id, project);
  }

  member(id: string): StaffMember | undefined {
    return this.staff.get(id);
  }

  serverAdminIds(): ReadonlySet<string> {
    return new Set([...this.staff.values()].filter((m) => m.operator).map((m) => m.id));
  }

  *libraryMembers(libraryId: string): Iterable<[string, StreamLibraryRole]> {
    for (const member of this.staff.values()) {
      const role = member.operator ? undefined : this.roleIn(member.id, libraryId);
      if (role !== undefined) yield [member.id, role];
    }
  }

  hasAccount(userId: string): boolean {
    return this.staff.has(userId);
  }

  /** A live view of a member, as the events module asks it on every delivery. */
  principalOf(id: string): StreamPrincipal {
    return new HostPrincipal(this, id);
  }

  /** The member's role in a project by the host's rule; undefined for none. */
  roleIn(memberId: string, projectId: string): StreamLibraryRole | undefined {
    const member = this.staff.get(memberId);
    const project = this.projects.get(projectId);
    if (!member) return undefined;
    if (member.operator) return 'admin';
    if (!project || project.team !== member.team) return undefined;
    return member.lead ? 'admin' : 'read';
  }
}

class HostPrincipal implements StreamPrincipal {
  constructor(
    private readonly directory: HostDirectory,
    readonly userId: string,
  ) {}

  get active(): boolean {
    return this.directory.hasAccount(this.userId);
  }

  isServerAdmin(): boolean {
    return this.directory.member(this.userId)?.operator === true;
  }

  isLibraryAdmin(libraryId: string): boolean {
    return this.directory.roleIn(this.userId, libraryId) === 'admin';
  }

  canRead(libraryId: string): boolean {
    return this.directory.roleIn(this.userId, libraryId) !== undefined;
  }
}
